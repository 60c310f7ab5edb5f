"""Back office for customers, their cards and the ledger.

Cards and transactions are read-only here: balances change only through the engine's services,
which lock the card and write a ledger row, and the ledger is never edited (a correction is a new
``adjustment`` row).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cards.links import card_page_url
from cards.models import Customer, LoyaltyCard, LoyaltyTransaction
from cards.numbers import normalise_card_number
from loyalty_saas.common.admin import backoffice_site


@admin.register(Customer, site=backoffice_site)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "enrolled_store", "marketing_consent", "created_at"]
    list_filter = ["marketing_consent", "locale", "enrolled_store"]
    search_fields = ["name", "email", "phone", "external_id"]
    list_select_related = ["enrolled_store"]
    readonly_fields = ["created_at", "updated_at", "marketing_consent_at"]
    date_hierarchy = "created_at"


class ReadOnlyAdmin(admin.ModelAdmin):
    """View only: no add, change or delete, whatever the user's permissions."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LoyaltyCard, site=backoffice_site)
class LoyaltyCardAdmin(ReadOnlyAdmin):
    # No change either: deactivating a card must also update the customer's wallet pass, which
    # only a service announcing the change can do.
    list_display = [
        "number",
        "customer",
        "program",
        "stamp_count",
        "points_balance",
        "is_active",
        "created_at",
    ]
    # One programme per store: filtering by store is filtering by programme.
    list_filter = ["is_active", "store"]
    search_fields = ["card_number", "customer__name", "customer__email"]
    list_select_related = ["customer", "program", "program__store", "store"]
    date_hierarchy = "created_at"
    fieldsets = [
        (None, {"fields": ["number", "customer", "program", "store", "is_active"]}),
        (
            _("Stamps"),
            {"fields": ["stamp_count", "total_stamps_earned", "stamps_redeemed", "last_stamp_at"]},
        ),
        (
            _("Points"),
            {
                "fields": [
                    "points_balance",
                    "total_points_earned",
                    "points_redeemed",
                    "last_points_at",
                ]
            },
        ),
        (
            _("Activity"),
            {"fields": ["last_activity_at", "created_at", "transactions", "card_page"]},
        ),
    ]
    readonly_fields = [
        "number",
        "customer",
        "program",
        "store",
        "is_active",
        "stamp_count",
        "total_stamps_earned",
        "stamps_redeemed",
        "last_stamp_at",
        "points_balance",
        "total_points_earned",
        "points_redeemed",
        "last_points_at",
        "last_activity_at",
        "created_at",
        "transactions",
        "card_page",
    ]

    @admin.display(description=_("card number"), ordering="card_number")
    def number(self, obj: LoyaltyCard) -> str:
        return obj.formatted_number

    @admin.display(description=_("transactions"))
    def transactions(self, obj: LoyaltyCard) -> str:
        opts = LoyaltyTransaction._meta
        url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
        return format_html(
            '<a href="{}?card__id__exact={}">{}</a>',
            url,
            obj.pk,
            _("All transactions of this card"),
        )

    @admin.display(description=_("customer's card page"))
    def card_page(self, obj: LoyaltyCard) -> str:
        # The host the back office is being used on (set by the host middleware).
        tenant = connection.tenant  # type: ignore[attr-defined]
        url = card_page_url(obj, getattr(tenant, "domain_url", None) or tenant.primary_host)
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            url,
            _("Open the page the customer sees"),
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[LoyaltyCard], search_term: str
    ) -> tuple[QuerySet[LoyaltyCard], bool]:
        # A number read off a card or a pass comes with spaces or dashes ("1234 5678 9012").
        digits = normalise_card_number(search_term.strip())
        if digits.isdigit():
            return queryset.filter(card_number__contains=digits), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(LoyaltyTransaction, site=backoffice_site)
class LoyaltyTransactionAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "card",
        "transaction_type",
        "stamps_delta",
        "points_delta",
        "stamps_after",
        "points_after",
        "store",
        "staff_pin",
        "source",
    ]
    list_filter = ["transaction_type", "source", "store"]
    search_fields = ["card__card_number", "card__customer__email", "reward_description", "notes"]
    list_select_related = ["card", "store", "staff_pin", "staff_pin__store"]
    date_hierarchy = "created_at"
    # The ledger grows without bound: skip the second COUNT(*) over the whole table.
    show_full_result_count = False
    fieldsets = [
        (
            None,
            {"fields": ["created_at", "card", "store", "staff_pin", "transaction_type", "source"]},
        ),
        (
            _("Change"),
            {
                "fields": [
                    "stamps_delta",
                    "points_delta",
                    "stamps_after",
                    "points_after",
                    "purchase_amount_cents",
                ]
            },
        ),
        (_("Reward"), {"fields": ["reward_id", "reward_description"]}),
        (_("Audit"), {"fields": ["ip_address", "user_agent", "idempotency_key", "notes"]}),
    ]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[LoyaltyTransaction], search_term: str
    ) -> tuple[QuerySet[LoyaltyTransaction], bool]:
        digits = normalise_card_number(search_term.strip())
        if digits.isdigit():
            return queryset.filter(card__card_number__contains=digits), False
        return super().get_search_results(request, queryset, search_term)
