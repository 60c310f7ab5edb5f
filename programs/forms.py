"""The back office's forms: the programme's (rewards typed as lines, a colour picker, the limits)
and the store's opening hours, typed a day a line."""

from __future__ import annotations

import io
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from PIL import Image
from unfold.widgets import (
    UnfoldAdminCheckboxSelectMultipleWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from programs.models import LoyaltyProgram, Store
from programs.rules import (
    PROGRAM_LIMITS,
    WEEKDAY_KEYS,
    normalise_opening_hours,
    normalise_rewards,
    parse_day_hours,
    weekday_label,
)
from programs.services import PROGRAM_FIELDS
from programs.wallet_ids import wallet_ids


class ColorInput(forms.TextInput):
    input_type = "color"

    def format_value(self, value: Any) -> str | None:
        # What the browser will submit: it normalises the colour to lower case.
        value = super().format_value(value)
        return value.lower() if value else value


class RewardLinesField(forms.Field):
    """Points rewards typed one per line as ``<points> <name>``, e.g. ``50 Free coffee``.

    The field only reads the lines; whether the list will do is ``normalise_rewards``'s to say,
    as for a list sent to the API. A reward keeps its ID while its name stays the same, so
    redemptions already recorded and integrations that use the ID keep pointing at it.
    """

    widget = UnfoldAdminTextareaWidget(attrs={"rows": 6, "cols": 60})
    line_pattern = re.compile(r"^(?P<cost>\d+)\s*[:=\-\u2013\u2014]?\s*(?P<name>\S.*)$")

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
            str(reward.get("name", "")).strip().casefold(): str(reward["id"])
            for reward in self.existing
            if isinstance(reward, dict) and reward.get("id")
        }
        rewards: list[dict] = []
        line_numbers: list[int] = []
        # (line number, error): shown in the order of the lines, whichever check found them.
        errors: list[tuple[int, ValidationError]] = []
        for number, raw_line in enumerate(str(value or "").splitlines(), start=1):
            line = raw_line.strip()
            if not line:
                continue
            match = self.line_pattern.match(line)
            if match is None:
                error = ValidationError(
                    _(
                        "Line %(line)s: write the points first, then the reward, e.g. “50 Free "
                        "coffee”."
                    ),
                    code="invalid_line",
                    params={"line": number},
                )
                errors.append((number, error))
                continue
            reward = {"name": match["name"].strip(), "points_cost": int(match["cost"])}
            if known_id := known_ids.get(reward["name"].casefold()):
                reward["id"] = known_id
            rewards.append(reward)
            line_numbers.append(number)
        try:
            rewards = normalise_rewards(
                rewards,
                labels=[gettext("Line %(line)s") % {"line": number} for number in line_numbers],
                # A new reward never takes the ID of one that was renamed or removed.
                reserved_ids=set(known_ids.values()),
            )
        except ValidationError as refused:
            errors += [(line_numbers[error.params["n"] - 1], error) for error in refused.error_list]
        if errors:
            raise ValidationError([error for _number, error in sorted(errors, key=lambda e: e[0])])
        return rewards

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            rewards = self.to_python(data)
        except ValidationError:
            return True
        return (initial or []) != rewards


# A logo is shown at most a few hundred pixels wide; larger ones are scaled down to this.
MAX_LOGO_SIDE = 1024
# Decoded size refused before decoding: a small file may claim a huge canvas.
MAX_LOGO_PIXELS = 25_000_000


def reencoded_logo(upload: UploadedFile) -> ContentFile:
    """The uploaded image decoded and written again as a PNG of at most MAX_LOGO_SIDE pixels.

    Only pixels survive: whatever else the file held (a script disguised as an image, metadata,
    a second format appended) is dropped, and the stored file is always an image/png.
    """
    invalid = ValidationError(
        forms.ImageField.default_error_messages["invalid_image"], code="invalid_image"
    )
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            if image.width * image.height > MAX_LOGO_PIXELS:
                raise invalid
            image.load()
            has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            picture = image.convert("RGBA" if has_alpha else "RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise invalid from error
    picture.thumbnail((MAX_LOGO_SIDE, MAX_LOGO_SIDE))
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return ContentFile(out.getvalue(), name="logo.png")


class LoyaltyProgramForm(forms.ModelForm):
    # The stores are the programme's by their own key (Store.program): chosen here, saved by
    # programs.services. Offered: the stores free of any programme, and this one's.
    stores = forms.ModelMultipleChoiceField(
        label=_("Participating stores"),
        queryset=Store.objects.none(),
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
        help_text=_(
            "A card is valid at every store that takes part, whichever one the customer joined "
            "at. A store takes part in one programme at most."
        ),
        error_messages={"required": _("Choose at least one store where the programme is offered.")},
    )
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
        fields = [*PROGRAM_FIELDS, "logo"]
        widgets = {"card_color": ColorInput}

    max_logo_bytes = 2 * 1024 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        program = self.instance if self.instance.pk else None
        self.fields["stores"].queryset = Store.objects.filter(
            Q(program__isnull=True) | Q(program=program) if program else Q(program__isnull=True)
        ).order_by("name", "pk")
        if program is not None:
            self.initial.setdefault("stores", list(program.stores.values_list("pk", flat=True)))
        self.fields["points_rewards"].existing = list(self.instance.points_rewards or [])
        if self.instance.pk:
            for name, value in wallet_ids(self.instance).items():
                self.initial.setdefault(name, value)
        if isinstance(self.initial.get("card_color"), str):
            # Compared with what the colour picker sends back, so "#0B5CAD" is no change.
            self.initial["card_color"] = self.initial["card_color"].lower()
        # The database enforces these ranges too; checking them here gives a message a merchant
        # can act on instead of a constraint name.
        for name, limit in PROGRAM_LIMITS.items():
            if field := self.fields.get(name):
                field.validators += limit.validators()
                field.widget.attrs.update(limit.widget_attrs())

    def clean_logo(self) -> Any:
        logo = self.cleaned_data.get("logo")
        if logo and getattr(logo, "size", 0) > self.max_logo_bytes:
            raise ValidationError(
                _("This image is larger than 2 MB. Please upload a smaller logo."),
                code="logo_too_large",
            )
        if logo and isinstance(logo, UploadedFile):  # a new upload, not the stored file
            return reencoded_logo(logo)
        return logo


class OpeningHoursWidget(forms.MultiWidget):
    """Seven text inputs, one a weekday, each labelled with its day's name."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        day_input = {"size": 30}
        super().__init__(
            [UnfoldAdminTextInputWidget(attrs=day_input) for _day in WEEKDAY_KEYS], attrs
        )

    def decompress(self, value: Any) -> list[str]:
        if not isinstance(value, dict):
            return [""] * len(WEEKDAY_KEYS)
        return [
            ", ".join(f"{period[0]}-{period[1]}" for period in value.get(day) or [])
            for day in WEEKDAY_KEYS
        ]

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> str:
        context = self.get_context(name, value, attrs)
        rows = []
        for day, subwidget, widget in zip(
            WEEKDAY_KEYS, context["widget"]["subwidgets"], self.widgets, strict=True
        ):
            input_html = widget.render(
                subwidget["name"], subwidget["value"], subwidget["attrs"], renderer
            )
            rows.append((subwidget["attrs"].get("id", ""), weekday_label(day), input_html))
        return format_html(
            '<table class="opening-hours"><tbody>{}</tbody></table>',
            format_html_join(
                "",
                '<tr><th scope="row"><label for="{}">{}</label></th><td>{}</td></tr>',
                rows,
            ),
        )


class OpeningHoursField(forms.MultiValueField):
    """A week of opening hours typed a day a line ("08:00-12:00, 14:00-19:00"; empty: closed).
    What the week may be is ``normalise_opening_hours``'s to say, as for any other writer."""

    widget = OpeningHoursWidget

    def __init__(self, **kwargs: Any) -> None:
        days = [forms.CharField(required=False, max_length=100) for _day in WEEKDAY_KEYS]
        super().__init__(fields=days, require_all_fields=False, required=False, **kwargs)

    def compress(self, data_list: list[str]) -> dict[str, list[list[str]]]:
        week: dict[str, list[list[str]]] = {}
        errors: list[ValidationError] = []
        for day, text in zip(WEEKDAY_KEYS, data_list or [""] * len(WEEKDAY_KEYS), strict=True):
            try:
                week[day] = parse_day_hours(text or "", day=day)
            except ValidationError as refused:
                errors.append(refused)
        if errors:
            raise ValidationError(errors)
        return normalise_opening_hours(week)


class StoreForm(forms.ModelForm):
    opening_hours = OpeningHoursField(
        label=_("Opening hours"),
        help_text=_(
            "In the store's time zone, e.g. “08:00-12:00, 14:00-19:00”: at most two periods a "
            "day. Leave a day empty when the store is closed, and every day empty if the hours "
            "are not known. A period past midnight, such as 18:00-02:00, ends the next morning. "
            "Operations outside the hours (15 minutes after closing still count as inside) are "
            "flagged in the statistics."
        ),
    )

    class Meta:
        model = Store
        fields = ["name", "code", "is_active", "address", "timezone", "latitude", "longitude"]
