"""The back office's view of the wallets: per card, how many devices hold its Apple pass.

``cards`` never imports ``wallets``, so the card admin knows no wallet: this module, above it,
re-registers the card admin on the back-office site with a column and a field of its own. Device
registrations themselves (push tokens are secrets) have no admin: only their count is shown.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cards.admin import LoyaltyCardAdmin
from cards.models import LoyaltyCard
from common.admin import backoffice_site
from wallets.models import AppleRegistration


def apple_devices_count() -> Subquery:
    """How many devices registered a card's Apple pass, for ``annotate`` on LoyaltyCard (one
    query for a whole list, whatever its length)."""
    per_card = (
        AppleRegistration.objects.filter(wallet_pass__card=OuterRef("pk"))
        .order_by()
        .values("wallet_pass__card")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(per_card, output_field=IntegerField()), 0)


class WalletCardAdmin(LoyaltyCardAdmin):
    list_display = [*LoyaltyCardAdmin.list_display, "apple_wallet"]
    fieldsets = [
        *LoyaltyCardAdmin.fieldsets,
        (_("Wallets"), {"fields": ["apple_wallet"]}),
    ]
    readonly_fields = [*LoyaltyCardAdmin.readonly_fields, "apple_wallet"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[LoyaltyCard]:
        return super().get_queryset(request).annotate(apple_devices=apple_devices_count())

    @admin.display(description=_("Apple Wallet"), ordering="apple_devices")
    def apple_wallet(self, obj: LoyaltyCard) -> str:
        count = getattr(obj, "apple_devices", 0)
        if not count:
            return "—"
        return ngettext("%(count)d device", "%(count)d devices", count) % {"count": count}


backoffice_site.unregister(LoyaltyCard)
backoffice_site.register(LoyaltyCard, WalletCardAdmin)
