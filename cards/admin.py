"""Back office for customers, their cards and the ledger.

Cards and transactions are read-only here: balances change only through the engine's services,
which lock the card and write a ledger row, and the ledger is never edited. A correction is a new
``adjustment`` row, made on the card's own "Correct this card" page.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.utils import parse_date_str
from unfold.widgets import UnfoldAdminIntegerFieldWidget, UnfoldAdminTextareaWidget

from cards.exports import transactions_csv_response
from cards.links import card_page_url
from cards.models import (
    Customer,
    DataRequest,
    LoyaltyCard,
    LoyaltyTransaction,
    TransactionSource,
)
from cards.numbers import normalise_card_number
from cards.services import (
    adjust,
    erase_customer,
    export_customer,
    set_card_active,
    update_customer,
)
from common.admin import (
    ObjectPagesAdmin,
    admin_url,
    adopt,
    backoffice_site,
    render_admin_page,
    show_service_error,
)
from common.request_meta import RequestMeta
from staff.models import StaffPin


@admin.register(Customer, site=backoffice_site)
class CustomerAdmin(ModelAdmin):
    list_display = ["name", "email", "phone", "enrolled_store", "marketing_consent", "created_at"]
    list_filter = ["marketing_consent", "locale", "enrolled_store"]
    search_fields = ["name", "email", "phone", "external_id"]
    list_select_related = ["enrolled_store"]
    readonly_fields = [
        "enrolled_store",
        "total_spent_cents",
        "created_at",
        "updated_at",
        "marketing_consent_at",
        "erased_at",
    ]
    date_hierarchy = "created_at"
    actions = ["export_data", "erase_personal_data"]
    erase_template = "admin/cards/customer/erase.html"

    @admin.action(description=_("Export data (JSON)"), permissions=["view"])
    def export_data(self, request: HttpRequest, queryset: QuerySet[Customer]) -> HttpResponse:
        customers = list(queryset.order_by("pk"))
        exports = [
            export_customer(customer=customer, requested_by=_back_office_user(request))
            for customer in customers
        ]
        name = f"customer-{customers[0].pk}" if len(customers) == 1 else "customers"
        response = HttpResponse(
            json.dumps(exports[0] if len(exports) == 1 else exports, indent=2),
            content_type="application/json",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}-export.json"'
        return response

    @admin.action(description=_("Erase personal data"), permissions=["erase"])
    def erase_personal_data(
        self, request: HttpRequest, queryset: QuerySet[Customer]
    ) -> HttpResponse | None:
        customers = list(queryset.order_by("pk"))
        if request.POST.get("confirmed") != "yes":
            return render_admin_page(
                self,
                request,
                self.erase_template,
                title=_("Erase personal data"),
                customers=customers,
                selected_field=ACTION_CHECKBOX_NAME,
                changelist_url=admin_url(self.admin_site, self.opts, "changelist"),
            )
        for customer in customers:
            erase_customer(customer=customer, requested_by=_back_office_user(request))
        self.message_user(
            request,
            ngettext(
                "%(count)d customer's personal data erased; their cards are blocked.",
                "%(count)d customers' personal data erased; their cards are blocked.",
                len(customers),
            )
            % {"count": len(customers)},
            messages.SUCCESS,
        )
        return None

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A customer comes with a card: enrolment (the join page, the API) creates both.
        return False

    def save_model(self, request: HttpRequest, obj: Customer, form: BaseForm, change: bool) -> None:
        # The service owns the rules of a change (the consent's time, unique e-mail and external
        # ID, under the customer's lock); the form has checked the fields against the model.
        fields = ("name", "email", "phone", "locale", "marketing_consent", "external_id")
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in fields}
        adopt(obj, update_customer(customer_id=obj.pk, **data))

    def has_erase_permission(self, request: HttpRequest) -> bool:
        """Erasing is what "delete" on customers means here: the row itself is never deleted."""
        codename = get_permission_codename("delete", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Cards and the ledger hold on to the customer: "Erase personal data" instead.
        return False


def _back_office_user(request: HttpRequest) -> str:
    return f"user:{request.user.get_username()}"


class ReadOnlyAdmin(ModelAdmin):
    """View only: no add, change or delete, whatever the user's permissions."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DataRequest, site=backoffice_site)
class DataRequestAdmin(ReadOnlyAdmin):
    """Every export and erasure of a customer's data, for the merchant's records: read-only."""

    list_display = ["created_at", "kind", "customer_id", "requested_by"]
    list_filter = ["kind"]
    search_fields = ["=customer_id", "requested_by"]
    date_hierarchy = "created_at"


class CardCorrectionForm(forms.Form):
    """What a correction changes and why. The rules (a reason, something to change, no negative
    balance) are ``adjust``'s: its errors are put on these fields."""

    # Caps against a slipped finger (an extra zero or three), far above any honest correction;
    # they also keep a typo from overflowing a counter's column (a database error, not a message).
    stamps_delta = forms.IntegerField(
        label=_("stamps"),
        required=False,
        initial=0,
        min_value=-10_000,
        max_value=10_000,
        widget=UnfoldAdminIntegerFieldWidget,
        help_text=_("Stamps to add, or to take away with a minus sign (e.g. -2)."),
    )
    points_delta = forms.IntegerField(
        label=_("points"),
        required=False,
        initial=0,
        min_value=-10_000_000,
        max_value=10_000_000,
        widget=UnfoldAdminIntegerFieldWidget,
        help_text=_("Points to add, or to take away with a minus sign (e.g. -50)."),
    )
    notes = forms.CharField(
        label=_("reason"),
        required=False,
        max_length=500,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3, "cols": 60}),
        help_text=_(
            "Required. Kept in the ledger with the correction, e.g. “Stamp forgotten on 3 May”."
        ),
    )

    def __init__(self, *args: Any, card: LoyaltyCard, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A hint for the browser only: whether the reason will do is the service's to say.
        self.fields["notes"].widget.attrs["required"] = True
        # Only the counters the programme uses, unless the card still holds some of the other.
        if not card.program.has_stamps and not card.stamp_count:
            del self.fields["stamps_delta"]
        if not card.program.has_points and not card.points_balance:
            del self.fields["points_delta"]


@admin.register(LoyaltyCard, site=backoffice_site)
class LoyaltyCardAdmin(ObjectPagesAdmin, ReadOnlyAdmin):
    # No change form: blocking a card goes through the service (an action below), which announces
    # it to the wallets. Corrections have a page of their own.
    change_form_template = "admin/cards/loyaltycard/change_form.html"
    correction_template = "admin/cards/loyaltycard/correct.html"
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
    list_filter = ["is_active", "program", "store"]
    search_fields = ["card_number", "customer__name", "customer__email"]
    list_select_related = ["customer", "program", "store"]
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

    actions = ["block_cards", "unblock_cards"]

    @admin.action(description=_("Block the selected cards"), permissions=["correct"])
    def block_cards(self, request: HttpRequest, queryset: QuerySet[LoyaltyCard]) -> None:
        # Through the service, one card at a time: each block is announced to the wallets.
        cards = list(queryset.filter(is_active=True))
        for card in cards:
            set_card_active(card=card, active=False)
        self.message_user(
            request,
            ngettext(
                "%(count)d card blocked: it takes no stamps, points or rewards until unblocked.",
                "%(count)d cards blocked: they take no stamps, points or rewards until unblocked.",
                len(cards),
            )
            % {"count": len(cards)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Unblock the selected cards"), permissions=["correct"])
    def unblock_cards(self, request: HttpRequest, queryset: QuerySet[LoyaltyCard]) -> None:
        cards = list(queryset.filter(is_active=False))
        for card in cards:
            set_card_active(card=card, active=True)
        self.message_user(
            request,
            ngettext("%(count)d card unblocked.", "%(count)d cards unblocked.", len(cards))
            % {"count": len(cards)},
            messages.SUCCESS,
        )

    def get_object_pages(self) -> list[tuple[str, Any, str]]:
        return [("correct/", self.correct_view, "correct")]

    def has_correct_permission(self, request: HttpRequest) -> bool:
        """Correcting is what "change" on cards means here: the form itself stays read-only."""
        codename = get_permission_codename("change", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    def change_form_context(self, request: HttpRequest, obj: LoyaltyCard) -> dict[str, Any]:
        if not self.has_correct_permission(request):
            return {}
        return {"correct_url": self.object_url("correct", obj)}

    def correct_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_correct_permission(request):
            raise PermissionDenied
        card = self.get_object(request, unquote(object_id))
        if card is None:
            raise Http404
        form = CardCorrectionForm(request.POST or None, card=card)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                # The correction and the log entry saying which user made it go together.
                with transaction.atomic():
                    txn = adjust(
                        card=card,
                        stamps_delta=data.get("stamps_delta") or 0,
                        points_delta=data.get("points_delta") or 0,
                        notes=data["notes"],
                        meta=RequestMeta.from_request(request, source=TransactionSource.ADMIN),
                    )
                    self.log_change(
                        request,
                        card,
                        [{"added": {"name": str(txn._meta.verbose_name), "object": str(txn)}}],
                    )
            except ValidationError as error:
                show_service_error(form, error)
            else:
                self.message_user(
                    request,
                    _("The card was corrected. The adjustment is in its transactions."),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self.object_url("change", card))
        return render_admin_page(
            self,
            request,
            self.correction_template,
            title=_("Correct card %(number)s") % {"number": card.formatted_number},
            card=card,
            form=form,
            change_url=self.object_url("change", card),
        )

    @admin.display(description=_("transactions"))
    def transactions(self, obj: LoyaltyCard) -> str:
        url = admin_url(self.admin_site, LoyaltyTransaction._meta, "changelist")
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


class DayRangeFilter(RangeDateFilter):
    """Unfold's "from … to …" dates on a date-time column: whole days, both included, in the
    platform's time zone (the statistics' days), and a date typed as YYYY-MM-DD as well as in
    the language's own format."""

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        bounds = {}
        for suffix, lookup in (("_from", "gte"), ("_to", "lte")):
            value = self.used_parameters.get(f"{self.parameter_name}{suffix}")
            if isinstance(value, str) and value:
                day = _parse_day(value)
                if day is None:
                    return None  # the form shows the error; no rows rather than every row
                bounds[f"{self.field_path}__date__{lookup}"] = day
        return queryset.filter(**bounds)


class StaffPinFilter(admin.RelatedFieldListFilter):
    """The staff members, named with their store ("Alice (Main Street)") in one query, not one
    per member."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list:
        pins = StaffPin.objects.select_related("store").order_by("store__name", "name", "pk")
        return [(pin.pk, str(pin)) for pin in pins]


def _parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return parse_date_str(value)


@admin.register(LoyaltyTransaction, site=backoffice_site)
class LoyaltyTransactionAdmin(ReadOnlyAdmin):
    """The ledger, read-only: filtered, searched by card number or customer, and downloaded as
    CSV exactly as filtered (the API's columns, ``cards.exports``)."""

    change_list_template = "admin/cards/loyaltytransaction/change_list.html"
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
    list_filter = [
        ("created_at", DayRangeFilter),
        "transaction_type",
        "store",
        ("staff_pin", StaffPinFilter),
        "source",
    ]
    list_filter_submit = True
    search_fields = [
        "card__card_number",
        "card__customer__name",
        "card__customer__email",
        "reward_description",
        "notes",
    ]
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
            # A noun; Django's own "Change" (the verb on buttons and links) keeps its wording.
            pgettext_lazy("stamps and points a transaction adds or removes", "Change"),
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

    def get_urls(self) -> list[URLPattern]:
        opts = self.opts
        csv_page = path(
            "csv/",
            self.admin_site.admin_view(self.csv_view),
            name=f"{opts.app_label}_{opts.model_name}_csv",
        )
        return [csv_page, *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        csv_url = admin_url(self.admin_site, self.opts, "csv")
        query = request.GET.urlencode()
        extra_context = {
            **(extra_context or {}),
            "csv_url": f"{csv_url}?{query}" if query else csv_url,
        }
        return super().changelist_view(request, extra_context)

    def csv_view(self, request: HttpRequest) -> HttpResponse:
        """The rows the list shows for the same filters and search (every page of them)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            # As the list does: back to it, with the filters dropped and an error shown.
            return HttpResponseRedirect(
                admin_url(self.admin_site, self.opts, "changelist") + "?e=1"
            )
        return transactions_csv_response(changelist.get_queryset(request))
