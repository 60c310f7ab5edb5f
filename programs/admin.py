"""Back office for stores (with their QR codes and poster) and loyalty programmes."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from common.admin import ObjectPagesAdmin, admin_url, adopt, backoffice_site
from common.colors import readable_ink
from common.qr import qr_svg
from programs.admin_views import enrollment_links, poster_view, qr_png_view, qr_svg_view
from programs.forms import LoyaltyProgramForm, StoreForm
from programs.models import LoyaltyProgram, LoyaltyType, Store
from programs.rules import DEFAULT_CARD_COLOR, stamp_grid_columns
from programs.selectors import participating_stores
from programs.services import (
    PROGRAM_FIELDS,
    create_program,
    create_store,
    record_poster_opened,
    set_program_stores,
    update_program,
    update_store,
)
from programs.wallet_ids import WALLET_ID_FIELDS


@admin.register(Store, site=backoffice_site)
class StoreAdmin(ObjectPagesAdmin):
    form = StoreForm
    list_display = ["name", "code", "program", "timezone", "is_active"]
    list_select_related = ["program"]
    list_filter = ["is_active", "program"]
    search_fields = ["name", "code", "address"]
    fieldsets = [
        (None, {"fields": ["name", "code", "is_active"]}),
        (_("Location"), {"fields": ["address", "timezone", ("latitude", "longitude")]}),
        (_("Opening hours"), {"fields": ["opening_hours"]}),
    ]
    readonly_fields = ["program_link"]
    # Adds the QR code section and a "QR poster" button to the change page.
    change_form_template = "admin/programs/store/change_form.html"

    def save_model(self, request: HttpRequest, obj: Store, form: BaseForm, change: bool) -> None:
        # The form has validated the fields against the model; the service checks again under
        # its own lock and announces a change that the store's passes show.
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in form.fields}
        if change:
            store = update_store(store=obj, **data)
        else:
            store = create_store(**{name: form.cleaned_data[name] for name in form.fields})
        adopt(obj, store)

    def get_fieldsets(self, request: HttpRequest, obj: Store | None = None) -> list[Any]:
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None:  # a store being added has no programme yet
            fieldsets += [(_("Loyalty programme"), {"fields": ["program_link"]})]
        return fieldsets

    def get_object_pages(self) -> list[tuple[str, Any, str]]:
        return [
            ("qr.png", partial(qr_png_view, store_admin=self), "qr_png"),
            ("qr.svg", partial(qr_svg_view, store_admin=self), "qr_svg"),
            ("poster/", self.poster_page, "poster"),
        ]

    def poster_page(self, request: HttpRequest, object_id: str) -> HttpResponse:
        response = poster_view(request, object_id, store_admin=self)
        if response.status_code == 200:  # shown, so the merchant could print it
            record_poster_opened(store_id=int(unquote(object_id)))
        return response

    @admin.display(description=_("programme"))
    def program_link(self, obj: Store) -> str:
        program = obj.program
        opts = LoyaltyProgram._meta
        if program is not None:
            url = admin_url(self.admin_site, opts, "change", program)
            return format_html('<a href="{}">{}</a>', url, program.card_name)
        url = admin_url(self.admin_site, opts, "add")
        return format_html(
            '{} <a href="{}?stores={}">{}</a>',
            _("This store has no loyalty programme yet."),
            url,
            obj.pk,
            _("Set one up"),
        )

    def change_form_context(self, request: HttpRequest, obj: Store) -> dict[str, Any]:
        # The saved row: after a refused edit, ``obj`` carries the values that were refused.
        saved = Store.objects.filter(pk=obj.pk).first()
        return {"enrollment": enrollment_links(request, saved, store_admin=self)} if saved else {}


# A sample card for the programme form's preview: a few stamps, some points.
PREVIEW_SAMPLE_STAMPS = 3
PREVIEW_SAMPLE_POINTS = 120


def program_preview(
    request: HttpRequest, form: BaseForm, obj: LoyaltyProgram | None
) -> dict[str, Any]:
    """The first state of the programme form's preview (the card and the wallet pass), from the
    form's values: what was typed after a refused save, else the programme's or the defaults."""

    def value(name: str) -> Any:
        if form.is_bound and name in form.fields:
            return form[name].value()
        if name in form.initial:
            return form.initial[name]
        return getattr(obj, name, None) if obj is not None else None

    color = str(value("card_color") or DEFAULT_CARD_COLOR)
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", color):
        color = DEFAULT_CARD_COLOR
    loyalty_type = value("loyalty_type") or LoyaltyType.STAMPS
    try:
        target = min(max(int(value("stamps_target") or 10), 1), 50)
    except (TypeError, ValueError):
        target = 10
    chosen = value("stores") or []
    chosen_ids = [
        pk for pk in ([chosen] if isinstance(chosen, str) else chosen) if str(pk).isdigit()
    ]
    store = Store.objects.filter(pk__in=chosen_ids).order_by("name", "pk").first()
    name = str(value("card_name") or (store.name if store else "") or _("Your card"))
    filled = min(PREVIEW_SAMPLE_STAMPS, target)
    logo_src = ""
    if obj is not None:
        logo_src = obj.logo.url if obj.logo else obj.logo_url
    sample_url = request.build_absolute_uri("/c/sample/")
    return {
        "name": name,
        "initial": name[:1].upper(),
        "store": store.name if store else "",
        "color": color,
        "ink": readable_ink(color),
        "logo_src": logo_src,
        "has_stamps": loyalty_type in (LoyaltyType.STAMPS, LoyaltyType.HYBRID),
        "has_points": loyalty_type in (LoyaltyType.POINTS, LoyaltyType.HYBRID),
        "target": target,
        "filled": filled,
        "marks": [index < filled for index in range(target)],
        "columns": stamp_grid_columns(target),
        "reward": value("stamps_reward_description") or "",
        "sample_stamps": PREVIEW_SAMPLE_STAMPS,
        "sample_points": PREVIEW_SAMPLE_POINTS,
        # Segno's markup for a sample link: a pass's barcode is the card page's link.
        "qr": mark_safe(qr_svg(sample_url, scale=2, title=name)),  # noqa: S308
    }


@admin.register(LoyaltyProgram, site=backoffice_site)
class LoyaltyProgramAdmin(ModelAdmin):
    form = LoyaltyProgramForm
    # Adds the live preview of the card and the wallet pass (static/backoffice/program_preview.js).
    change_form_template = "admin/programs/loyaltyprogram/change_form.html"

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: LoyaltyProgram | None = None,
    ) -> HttpResponse:
        context["program_preview"] = program_preview(request, context["adminform"].form, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    list_display = ["card_name", "store_names", "loyalty_type", "color_swatch", "is_active"]
    list_filter = ["loyalty_type", "is_active"]
    search_fields = ["card_name", "stores__name", "stores__code"]
    fieldsets = [
        (_("Stores and type"), {"fields": ["stores", "loyalty_type"]}),
        (
            _("Stamps"),
            {
                "fields": ["stamps_target", "stamps_reward_description"],
                "description": _("Used by stamp cards and by cards with stamps and points."),
            },
        ),
        (
            _("Points"),
            {
                "fields": ["points_per_euro", "points_rewards", "points_expiration_days"],
                "description": _("Used by points cards and by cards with stamps and points."),
            },
        ),
        (
            _("Anti-fraud"),
            {"fields": ["cooldown_minutes", "max_daily_stamps", "require_staff_pin"]},
        ),
        (_("Branding"), {"fields": ["card_name", "card_color", "logo", "logo_url"]}),
        (
            _("Wallets"),
            {
                "fields": ["google_issuer_id", "apple_pass_type_id"],
                "description": _("Leave these empty to use the platform's Wallet identifiers."),
                "classes": ["collapse"],
            },
        ),
        (_("Status"), {"fields": ["is_active"]}),
    ]

    def get_fieldsets(self, request: HttpRequest, obj: LoyaltyProgram | None = None) -> Any:
        fieldsets = [(name, dict(options)) for name, options in super().get_fieldsets(request, obj)]
        if obj is not None and obj.points_rewards:
            for _name, options in fieldsets:
                if "points_rewards" in options["fields"]:
                    options["fields"] = [*options["fields"], "reward_ids"]
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: LoyaltyProgram | None = None) -> Any:
        return [] if obj is None else ["reward_ids"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).prefetch_related(participating_stores())

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        # "?stores=3,4" (the store page's "Set one up" link) preselects those stores.
        initial = super().get_changeform_initial_data(request)
        if isinstance(initial.get("stores"), str):
            initial["stores"] = [pk for pk in initial["stores"].split(",") if pk.isdigit()]
        return initial

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        found, _duplicates = super().get_search_results(request, queryset, search_term)
        return found.distinct(), False

    @admin.display(description=_("stores"))
    def store_names(self, obj: LoyaltyProgram) -> str:
        return ", ".join(store.name for store in obj.stores.all())

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Cards and their ledger refer to the programme: switch it off instead.
        return False

    @admin.display(description=_("card colour"))
    def color_swatch(self, obj: LoyaltyProgram) -> str:
        return format_html(
            '<span style="display:inline-block;width:1.2em;height:1.2em;border-radius:3px;'
            'vertical-align:middle;border:1px solid #8886;background:{}"></span> {}',
            obj.card_color,
            obj.card_color,
        )

    @admin.display(description=_("reward IDs (for the API)"))
    def reward_ids(self, obj: LoyaltyProgram) -> str:
        return format_html_join(
            mark_safe("<br>"),
            "<code>{}</code> — {} ({})",
            [
                (reward.get("id"), reward.get("name"), reward.get("points_cost"))
                for reward in obj.points_rewards or []
            ],
        )

    def save_model(
        self, request: HttpRequest, obj: LoyaltyProgram, form: BaseForm, change: bool
    ) -> None:
        data = form.cleaned_data
        names = [
            name for name in (*PROGRAM_FIELDS, *WALLET_ID_FIELDS) if name in data and name != "logo"
        ]
        # The form has validated everything against the model already; the service checks again
        # under its own transaction. A concurrent edit that makes the result invalid is rare
        # enough to surface as an error page rather than a form.
        changed = set(form.changed_data)
        # An upload, or False when the logo is cleared; None leaves it.
        logo = data["logo"] if "logo" in changed else None
        if change:
            names = [name for name in names if name in changed]
            program = update_program(program=obj, logo=logo, **{name: data[name] for name in names})
            if "stores" in changed:
                set_program_stores(program=program, stores=list(data["stores"]))
        else:
            program = create_program(
                stores=list(data["stores"]), **{name: data[name] for name in names}
            )
            if logo:
                program = update_program(program=program, logo=logo)
        adopt(obj, program)
