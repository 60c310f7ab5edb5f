"""The back office's view of the wallets: per card, how many devices hold its Apple pass and where
its Google Wallet object stands; per programme, its Google Wallet class, how many of its cards
Google holds, and a re-sync.

``cards`` and ``programs`` never import ``wallets``, so their admins know no wallet: this module,
above them, re-registers the card and programme admins on the back-office site with columns,
fields and an action of their own. Device registrations themselves (push tokens are secrets) have
no admin: only their count is shown.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from cards.admin import LoyaltyCardAdmin
from cards.models import LoyaltyCard
from common.admin import admin_url, backoffice_site
from programs.admin import LoyaltyProgramAdmin
from programs.models import LoyaltyProgram
from wallets.config import google_configured
from wallets.models import AppleRegistration, GoogleClass, WalletPass
from wallets.receivers import queue_task
from wallets.tasks import google_resync_program_task


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


def _when(moment: dt.datetime | None) -> str:
    return formats.localize(timezone.localtime(moment)) if moment else ""


# What Google holds of a card, by our records (wallets.google.sync): a refusal is recorded until
# the next accepted request clears it.
REFUSED = Q(wallet_pass__google_error__gt="")
SYNCED = Q(wallet_pass__google_object_id__gt="", wallet_pass__google_error="")


def apple_devices_text(count: int) -> str:
    if not count:
        return "—"
    return ngettext("%(count)d device", "%(count)d devices", count) % {"count": count}


def google_card_text(*, synced_at: dt.datetime | None, error_at: dt.datetime | None) -> str:
    """A card's Google Wallet object in one word, for the card list."""
    if error_at is not None:
        return gettext("refused")
    if synced_at is not None:
        return gettext("synced")
    return "—"


class GoogleWalletFilter(admin.SimpleListFilter):
    title = _("Google Wallet")
    parameter_name = "google_wallet"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("refused", _("Refused")),
            ("synced", _("Synced")),
            ("none", _("Not sent yet")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[LoyaltyCard]) -> Any:
        if self.value() == "refused":
            return queryset.filter(REFUSED)
        if self.value() == "synced":
            return queryset.filter(SYNCED)
        if self.value() == "none":
            return queryset.exclude(REFUSED).exclude(wallet_pass__google_object_id__gt="")
        return queryset


class WalletCardAdmin(LoyaltyCardAdmin):
    list_display = [*LoyaltyCardAdmin.list_display, "wallets"]
    list_filter = [*LoyaltyCardAdmin.list_filter, GoogleWalletFilter]
    fieldsets = [
        *LoyaltyCardAdmin.fieldsets,
        (_("Wallets"), {"fields": ["apple_wallet", "google_wallet"]}),
    ]
    readonly_fields = [*LoyaltyCardAdmin.readonly_fields, "apple_wallet", "google_wallet"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[LoyaltyCard]:
        # Two columns of the card's pass (a LEFT JOIN) rather than the pass itself: its Google
        # object body can be several kilobytes, and the list needs only where it stands.
        return (
            super()
            .get_queryset(request)
            .annotate(
                apple_devices=apple_devices_count(),
                google_synced_at=F("wallet_pass__google_synced_at"),
                google_error_at=F("wallet_pass__google_error_at"),
            )
        )

    @admin.display(description=_("Wallets"), ordering="apple_devices")
    def wallets(self, obj: LoyaltyCard) -> str:
        error_at = getattr(obj, "google_error_at", None)
        google = google_card_text(
            synced_at=getattr(obj, "google_synced_at", None), error_at=error_at
        )
        if error_at is not None:
            google = format_html('<strong style="color:var(--error-fg)">{}</strong>', google)
        # Short labels on lines that never wrap (the list has many columns); the full names on
        # hover.
        return format_html(
            '<span title="{}" style="white-space:nowrap">Apple: {}</span><br>'
            '<span title="{}" style="white-space:nowrap">Google: {}</span>',
            _("Apple Wallet"),
            apple_devices_text(getattr(obj, "apple_devices", 0)),
            _("Google Wallet"),
            google,
        )

    @admin.display(description=_("Apple Wallet"))
    def apple_wallet(self, obj: LoyaltyCard) -> str:
        return apple_devices_text(getattr(obj, "apple_devices", 0))

    @admin.display(description=_("Google Wallet"))
    def google_wallet(self, obj: LoyaltyCard) -> str:
        wallet_pass = WalletPass.objects.filter(card=obj).first()
        if wallet_pass is not None and wallet_pass.google_error:
            return format_html(
                '<strong class="errornote" style="display:block">{}</strong>{}<br><code>{}</code>',
                gettext(
                    "Google Wallet refused this card (%(when)s): the customer cannot add it to "
                    "Google Wallet or see it updated there."
                )
                % {"when": _when(wallet_pass.google_error_at)},
                gettext("Google's answer:"),
                wallet_pass.google_error,
            )
        if not google_configured():
            return gettext("Google Wallet is not set up on this platform.")
        if wallet_pass is None or not wallet_pass.google_synced_at:
            return gettext("Not sent to Google Wallet yet.")
        return gettext("In Google Wallet, last updated: %(when)s") % {
            "when": _when(wallet_pass.google_synced_at)
        }


def google_program_figures(program: LoyaltyProgram) -> dict[str, int]:
    """How many of the programme's cards Google holds up to date, and how many it refused (one
    query)."""
    return LoyaltyCard.objects.filter(program=program).aggregate(
        total=Count("pk"),
        synced=Count("pk", filter=SYNCED),
        refused=Count("pk", filter=REFUSED),
    )


class WalletProgramAdmin(LoyaltyProgramAdmin):
    actions = ["sync_google_wallet"]

    def get_fieldsets(self, request: HttpRequest, obj: LoyaltyProgram | None = None) -> Any:
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None:
            # Before "Status", at the foot of the page.
            fieldsets.insert(
                len(fieldsets) - 1, (_("Google Wallet"), {"fields": ["google_wallet"]})
            )
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: LoyaltyProgram | None = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "google_wallet"] if obj is not None else fields

    @admin.display(description=_("Programme and cards"))
    def google_wallet(self, obj: LoyaltyProgram) -> str:
        state = GoogleClass.objects.filter(program=obj).first()
        if state is not None and state.error:
            klass = format_html(
                '<strong class="errornote" style="display:block">{}</strong>{}<br><code>{}</code>',
                gettext(
                    "Google Wallet refused this programme (%(when)s): none of its cards can be "
                    "added to Google Wallet until it is fixed."
                )
                % {"when": _when(state.error_at)},
                gettext("Google's answer:"),
                state.error,
            )
        elif not google_configured():
            return gettext("Google Wallet is not set up on this platform.")
        elif state is None or not state.synced_at:
            klass = format_html("<p>{}</p>", gettext("Not sent to Google Wallet yet."))
        else:
            klass = format_html(
                "<p>{}</p>",
                gettext("In Google Wallet, last updated: %(when)s")
                % {"when": _when(state.synced_at)},
            )
        figures = google_program_figures(obj)
        total = figures["total"]
        summary = (
            ngettext(
                "%(synced)d of %(total)d card in Google Wallet, %(refused)d refused",
                "%(synced)d of %(total)d cards in Google Wallet, %(refused)d refused",
                total,
            )
            % figures
        )
        refused = ""
        if figures["refused"]:
            # The card list filtered on this programme.
            url = admin_url(self.admin_site, LoyaltyCard._meta, "changelist")
            refused = format_html(
                ' <a href="{}?google_wallet=refused&amp;program__id__exact={}">{}</a>',
                url,
                obj.pk,
                gettext("See the cards Google refused"),
            )
        return format_html(
            '{}<progress value="{}" max="{}" style="width:100%;max-width:24em" '
            'aria-label="{}"></progress><p>{}{}</p>',
            klass,
            figures["synced"],
            max(total, 1),  # an empty progress bar rather than an invalid one
            summary,
            summary,
            refused,
        )

    @admin.action(description=_("Sync with Google Wallet"), permissions=["change"])
    def sync_google_wallet(self, request: HttpRequest, queryset: QuerySet[LoyaltyProgram]) -> None:
        if not google_configured():
            self.message_user(
                request,
                _(
                    "Google Wallet is not set up on this platform: nothing was sent. Ask the "
                    "platform's operator to configure it."
                ),
                messages.ERROR,
            )
            return
        programs = list(queryset.values_list("pk", flat=True))
        for program_id in programs:
            # Queued, never run inside the request: a programme may have thousands of cards.
            queue_task(google_resync_program_task, kwargs={"program_id": program_id}, window=0)
        self.message_user(
            request,
            ngettext(
                "Sync with Google Wallet started for %(count)d programme: its cards are sent in "
                "batches. Open the programme to follow the progress.",
                "Sync with Google Wallet started for %(count)d programmes: their cards are sent "
                "in batches. Open a programme to follow the progress.",
                len(programs),
            )
            % {"count": len(programs)},
            messages.SUCCESS,
        )


backoffice_site.unregister(LoyaltyCard)
backoffice_site.register(LoyaltyCard, WalletCardAdmin)
backoffice_site.unregister(LoyaltyProgram)
backoffice_site.register(LoyaltyProgram, WalletProgramAdmin)
