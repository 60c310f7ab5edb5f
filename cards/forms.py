from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cards.models import is_valid_birthday
from common.validators import refuse_control_characters

# Our own names, not django.utils.dates': Django's Luxembourgish catalogue lacks them.
MONTH_NAMES = [
    pgettext_lazy("month", "January"),
    pgettext_lazy("month", "February"),
    pgettext_lazy("month", "March"),
    pgettext_lazy("month", "April"),
    pgettext_lazy("month", "May"),
    pgettext_lazy("month", "June"),
    pgettext_lazy("month", "July"),
    pgettext_lazy("month", "August"),
    pgettext_lazy("month", "September"),
    pgettext_lazy("month", "October"),
    pgettext_lazy("month", "November"),
    pgettext_lazy("month", "December"),
]


class JoinForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        validators=[refuse_control_characters],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    phone = forms.CharField(
        label=_("Phone (optional)"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    locale = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    marketing_consent = forms.BooleanField(
        label=_("Send me news and offers by e-mail"), required=False
    )
    # The birthday, optional: a day and a month (no year), for a birthday message on the pass.
    birth_day = forms.TypedChoiceField(
        label=_("Day"),
        choices=[("", "—"), *((day, str(day)) for day in range(1, 32))],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.Select(attrs={"autocomplete": "bday-day"}),
    )
    birth_month = forms.TypedChoiceField(
        label=_("Month"),
        choices=[("", "—"), *((number, name) for number, name in enumerate(MONTH_NAMES, 1))],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.Select(attrs={"autocomplete": "bday-month"}),
    )

    def clean(self) -> dict:
        """The two selects become the service's ``birthday`` ("MM-DD", blank: not given)."""
        cleaned = super().clean() or {}
        day, month = cleaned.pop("birth_day", None), cleaned.pop("birth_month", None)
        cleaned["birthday"] = ""
        if day is None and month is None:
            return cleaned
        if day is None or month is None:
            self.add_error(
                "birth_day" if day is None else "birth_month",
                _("Choose both the day and the month of your birthday, or neither."),
            )
        elif not is_valid_birthday(month, day):
            self.add_error("birth_day", _("This month has no such day."))
        else:
            cleaned["birthday"] = f"{month:02d}-{day:02d}"
        return cleaned


class LostCardForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
