"""Back office for stores (with their QR codes and poster) and loyalty programmes."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Model
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from common.admin import backoffice_site
from common.qr import qr_png, qr_svg
from common.urls import absolute_url
from programs.models import LoyaltyProgram, Store
from programs.services import PROGRAM_FIELDS, create_program, update_program
from programs.wallet_ids import WALLET_ID_FIELDS, wallet_ids

DEFAULT_CARD_COLOR = "#0B5CAD"


def enrollment_url(request: HttpRequest, store: Store) -> str:
    """The link a store's QR code opens, on the host the merchant uses right now."""
    return absolute_url(
        request.tenant.domain_url,  # type: ignore[attr-defined]
        reverse("join", kwargs={"store_code": store.code}),
    )


def _inline_qr(data: str, *, scale: int, title: str, scalable: bool = False) -> SafeString:
    svg = qr_svg(data, scale=scale, title=title)
    if scalable:
        # segno writes a fixed width and height; a viewBox instead lets CSS size it on paper.
        svg = re.sub(r'width="(\d+)" height="(\d+)"', r'viewBox="0 0 \1 \2"', svg, count=1)
    # Markup segno generated, with the title escaped: safe to inline in a page.
    return mark_safe(svg)  # noqa: S308


def _text_color_on(background: str) -> str:
    """Black or white, whichever reads better on the card colour (WCAG relative luminance)."""
    try:
        channels = [int(background[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    except (TypeError, ValueError):
        return "#ffffff"
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if luminance > 0.179 else "#ffffff"


def _adopt(target: Model, saved: Model) -> None:
    """Make the admin's unsaved instance the row a service just wrote (the admin keeps using it
    for its log entry, messages and redirect)."""
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


@admin.register(Store, site=backoffice_site)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "timezone", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code", "address"]
    fieldsets = [
        (None, {"fields": ["name", "code", "is_active"]}),
        (_("Location"), {"fields": ["address", "timezone"]}),
    ]
    readonly_fields = ["program_link"]
    # Adds the QR code section and a "QR poster" button to the change page.
    change_form_template = "admin/programs/store/change_form.html"

    def get_fieldsets(self, request: HttpRequest, obj: Store | None = None) -> list[Any]:
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None:  # a store being added has no programme yet
            fieldsets += [(_("Loyalty programme"), {"fields": ["program_link"]})]
        return fieldsets

    def get_urls(self) -> list[URLPattern]:
        info = (self.opts.app_label, self.opts.model_name)
        wrap = self.admin_site.admin_view
        # Before the default URLs: their "<path:object_id>/" would swallow these.
        return [
            path(
                "<path:object_id>/qr.png", wrap(self.qr_png_view), name="{}_{}_qr_png".format(*info)
            ),
            path(
                "<path:object_id>/qr.svg", wrap(self.qr_svg_view), name="{}_{}_qr_svg".format(*info)
            ),
            path(
                "<path:object_id>/poster/",
                wrap(self.poster_view),
                name="{}_{}_poster".format(*info),
            ),
            *super().get_urls(),
        ]

    def _url(self, name: str, store: Store) -> str:
        return reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{name}",
            args=[quote(store.pk)],
        )

    @admin.display(description=_("programme"))
    def program_link(self, obj: Store) -> str:
        program = LoyaltyProgram.objects.filter(store=obj).first()
        opts = LoyaltyProgram._meta
        if program is not None:
            url = reverse(
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                args=[quote(program.pk)],
            )
            return format_html('<a href="{}">{}</a>', url, program.card_name)
        url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_add")
        return format_html(
            '{} <a href="{}?store={}">{}</a>',
            _("This store has no loyalty programme yet."),
            url,
            obj.pk,
            _("Set one up"),
        )

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Store | None = None,
    ) -> HttpResponse:
        # The saved row: after a refused edit, ``obj`` carries the values that were refused.
        saved = Store.objects.filter(pk=obj.pk).first() if obj is not None and not add else None
        if saved is not None:
            join_url = enrollment_url(request, saved)
            context["enrollment"] = {
                "url": join_url,
                "qr": _inline_qr(join_url, scale=3, title=saved.name),
                "poster_url": self._url("poster", saved),
                "png_url": self._url("qr_png", saved),
                "svg_url": self._url("qr_svg", saved),
            }
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _store_for(self, request: HttpRequest, object_id: str) -> Store:
        if not self.has_view_permission(request):
            raise PermissionDenied
        store = self.get_object(request, unquote(object_id))
        if store is None:
            raise Http404
        if not self.has_view_permission(request, store):
            raise PermissionDenied
        return store

    def qr_png_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        store = self._store_for(request, object_id)
        response = HttpResponse(qr_png(enrollment_url(request, store), scale=12), "image/png")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"store-{store.code}-qr.png"
        )
        return response

    def qr_svg_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        store = self._store_for(request, object_id)
        svg = qr_svg(enrollment_url(request, store), scale=10, title=store.name)
        response = HttpResponse(svg, "image/svg+xml")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=False, filename=f"store-{store.code}-qr.svg"
        )
        return response

    def poster_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        store = self._store_for(request, object_id)
        program = LoyaltyProgram.objects.filter(store=store).first()
        join_url = enrollment_url(request, store)
        color = program.card_color if program else DEFAULT_CARD_COLOR
        # The poster may be printed in the customers' language, not the merchant's.
        languages = dict(settings.LANGUAGES)
        language = request.GET.get("language")
        if language not in languages:
            language = translation.get_language()
        context = {
            "store": store,
            "program": program,
            "card_name": program.card_name if program else store.name,
            "card_color": color,
            "text_color": _text_color_on(color),
            "logo_src": (program.logo.url if program.logo else program.logo_url) if program else "",
            "join_url": join_url,
            "short_url": join_url.split("://", 1)[-1],
            "qr": _inline_qr(join_url, scale=10, title=store.name, scalable=True),
            "png_url": self._url("qr_png", store),
            "svg_url": self._url("qr_svg", store),
            "change_url": self._url("change", store),
            "languages": list(languages.items()),
            "poster_language": language,
            "unavailable": not store.is_active or program is None or not program.is_active,
        }
        with translation.override(language):
            return render(request, "admin/programs/store/poster.html", context)


class ColorInput(forms.TextInput):
    input_type = "color"

    def format_value(self, value: Any) -> str | None:
        # What the browser will submit: it normalises the colour to lower case.
        value = super().format_value(value)
        return value.lower() if value else value


class RewardLinesField(forms.Field):
    """Points rewards typed one per line as ``<points> <name>``, e.g. ``50 Free coffee``.

    A reward keeps its ID while its name stays the same, so redemptions already recorded and
    integrations that use the ID keep pointing at it.
    """

    widget = forms.Textarea(attrs={"rows": 6, "cols": 60, "class": "vLargeTextField"})
    line_pattern = re.compile(r"^(?P<cost>\d+)\s*[:=\-\u2013\u2014]?\s*(?P<name>\S.*)$")
    max_name_length = 200

    def __init__(self, **kwargs: Any) -> None:
        self.existing: list[dict] = []
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(
                f"{reward.get('points_cost')} {reward.get('name')}"
                for reward in value
                if isinstance(reward, dict)
            )
        return value

    def to_python(self, value: Any) -> list[dict]:
        if isinstance(value, list):  # the initial value, already a reward list
            return value
        known_ids = {
            str(reward.get("name", "")).strip().casefold(): reward.get("id")
            for reward in self.existing
            if isinstance(reward, dict) and reward.get("id")
        }
        rewards: list[dict] = []
        used_ids: set[str] = set()
        seen_names: set[str] = set()
        errors: list[ValidationError] = []
        for number, raw_line in enumerate(str(value or "").splitlines(), start=1):
            line = raw_line.strip()
            if not line:
                continue
            match = self.line_pattern.match(line)
            if match is None:
                errors.append(
                    ValidationError(
                        _(
                            "Line %(line)s: write the points first, then the reward, e.g. “50 Free "
                            "coffee”."
                        ),
                        code="invalid_line",
                        params={"line": number},
                    )
                )
                continue
            cost, name = int(match["cost"]), match["name"].strip()
            if cost < 1:
                errors.append(
                    ValidationError(
                        _("Line %(line)s: a reward must cost at least 1 point."),
                        code="invalid_cost",
                        params={"line": number},
                    )
                )
                continue
            if len(name) > self.max_name_length:
                errors.append(
                    ValidationError(
                        _("Line %(line)s: keep the reward name under %(max)s characters."),
                        code="name_too_long",
                        params={"line": number, "max": self.max_name_length},
                    )
                )
                continue
            if name.casefold() in seen_names:
                errors.append(
                    ValidationError(
                        _("Line %(line)s: “%(name)s” is already in the list."),
                        code="duplicate",
                        params={"line": number, "name": name},
                    )
                )
                continue
            seen_names.add(name.casefold())
            reward_id = self._reward_id(name, known_ids, used_ids)
            used_ids.add(reward_id)
            rewards.append({"id": reward_id, "name": name, "points_cost": cost})
        if errors:
            raise ValidationError(errors)
        return rewards

    @staticmethod
    def _reward_id(name: str, known_ids: dict[str, Any], used_ids: set[str]) -> str:
        known = known_ids.get(name.casefold())
        if known and known not in used_ids:
            return str(known)
        base = slugify(name)[:36].strip("-") or "reward"
        reward_id, suffix = base, 2
        while reward_id in used_ids or reward_id in known_ids.values():
            reward_id, suffix = f"{base}-{suffix}", suffix + 1
        return reward_id

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            rewards = self.to_python(data)
        except ValidationError:
            return True
        return (initial or []) != rewards


class LoyaltyProgramForm(forms.ModelForm):
    points_rewards = RewardLinesField(
        label=_("points rewards"),
        required=False,
        help_text=_(
            "One reward per line: the points it costs, then its name, e.g. “50 Free coffee”. "
            "A reward keeps its ID as long as its name stays the same."
        ),
    )
    # A URL typed without a scheme is taken as https (Django 6's default, declared to say so).
    logo_url = forms.URLField(
        label=_("logo URL"), required=False, max_length=200, assume_scheme="https"
    )
    # Kept by wallets, shown here with the programme (programs.wallet_ids).
    google_issuer_id = forms.CharField(
        label=_("Google Wallet issuer ID"), required=False, max_length=64
    )
    apple_pass_type_id = forms.CharField(
        label=_("Apple pass type ID"), required=False, max_length=128
    )

    class Meta:
        model = LoyaltyProgram
        fields = ["store", *PROGRAM_FIELDS, "logo"]
        widgets = {"card_color": ColorInput}

    max_logo_bytes = 2 * 1024 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["points_rewards"].existing = list(self.instance.points_rewards or [])
        if self.instance.pk:
            for name, value in wallet_ids(self.instance).items():
                self.initial.setdefault(name, value)
        if isinstance(self.initial.get("card_color"), str):
            # Compared with what the colour picker sends back, so "#0B5CAD" is no change.
            self.initial["card_color"] = self.initial["card_color"].lower()
        # The database enforces these ranges too; checking them here gives a message a merchant
        # can act on instead of a constraint name.
        self._limit("stamps_target", 1, 100)
        self._limit("cooldown_minutes", 0, 1440)
        self._limit("max_daily_stamps", 1, 100)
        self._limit("points_per_euro", Decimal("0.01"), None)
        self._limit("points_expiration_days", 1, None)

    def _limit(self, name: str, low: Any, high: Any) -> None:
        field = self.fields.get(name)
        if field is None:
            return
        if low is not None:
            field.validators.append(MinValueValidator(low))
            field.widget.attrs["min"] = str(low)
        if high is not None:
            field.validators.append(MaxValueValidator(high))
            field.widget.attrs["max"] = str(high)

    def clean_logo(self) -> Any:
        logo = self.cleaned_data.get("logo")
        if logo and getattr(logo, "size", 0) > self.max_logo_bytes:
            raise ValidationError(
                _("This image is larger than 2 MB. Please upload a smaller logo."),
                code="logo_too_large",
            )
        return logo


@admin.register(LoyaltyProgram, site=backoffice_site)
class LoyaltyProgramAdmin(admin.ModelAdmin):
    form = LoyaltyProgramForm
    list_display = ["card_name", "store", "loyalty_type", "color_swatch", "is_active"]
    list_filter = ["loyalty_type", "is_active"]
    search_fields = ["card_name", "store__name", "store__code"]
    list_select_related = ["store"]
    fieldsets = [
        (_("Store and type"), {"fields": ["store", "loyalty_type"]}),
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
        if obj is None:
            return []
        # A programme stays with its store: cards and the ledger point at both.
        return ["store", "reward_ids"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "store":
            kwargs["queryset"] = Store.objects.filter(program__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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
        if change:
            changed = set(form.changed_data)
            program = update_program(
                program=obj, **{name: data[name] for name in names if name in changed}
            )
        else:
            program = create_program(store=data["store"], **{name: data[name] for name in names})
        if "logo" in form.changed_data:
            # The programme services take no file: the upload (or its removal, False) is stored
            # here, in the transaction the admin wraps around the whole save. No rule depends
            # on the logo.
            program.logo = data["logo"] or ""
            program.save(update_fields=["logo", "updated_at"])
        _adopt(obj, program)
