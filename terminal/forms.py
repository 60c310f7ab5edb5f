"""Forms of the staff terminal. They parse; the engine in cards.services decides."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from cards.numbers import CARD_NUMBER_LENGTH, normalise_card_number
from staff.models import StaffPin
from staff.pins import PIN_DIGITS, PIN_MAX_LENGTH, validate_pin_format


class LookupForm(forms.Form):
    """A card number (typed or scanned), or a customer's name, e-mail or phone to search."""

    number = forms.CharField(
        label=_("Card number, name, e-mail or phone"),
        max_length=120,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "id": "card-number",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )

    def card_number(self) -> str | None:
        """The query as a card number when it looks like one (digits, spaces and dashes)."""
        digits = normalise_card_number(self.cleaned_data["number"])
        return digits if digits.isdigit() and len(digits) == CARD_NUMBER_LENGTH else None


class StaffMixin(forms.Form):
    """Who does it: a staff member of this store and their PIN."""

    staff_pin_id = forms.TypedChoiceField(
        label=_("Staff member"), coerce=int, widget=forms.RadioSelect
    )
    pin = forms.CharField(
        label=_("PIN"),
        strip=False,
        max_length=PIN_MAX_LENGTH,
        validators=[validate_pin_format],
        widget=forms.PasswordInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "off",
                "class": "pin-input",
                "pattern": PIN_DIGITS,
            }
        ),
    )
    op = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: object, staff_pins: list[StaffPin], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["staff_pin_id"].choices = [(p.pk, p.name) for p in staff_pins]


class StampForm(StaffMixin):
    quantity = forms.IntegerField(
        label=_("Stamps"),
        min_value=1,
        max_value=100,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class AmountField(forms.DecimalField):
    """A purchase amount as cashiers type it: ``12.50`` or ``12,50`` in every language (a comma
    is never a thousands separator here; with both, the last one is the decimal mark)."""

    def to_python(self, value: object) -> Decimal | None:
        if isinstance(value, str):
            text = "".join(value.split()).replace("€", "")
            if "," in text and "." in text:
                decimal_mark = "," if text.rindex(",") > text.rindex(".") else "."
                thousands = "." if decimal_mark == "," else ","
                text = text.replace(thousands, "")
            value = text.replace(",", ".")
        return super().to_python(value)


class PointsForm(StaffMixin):
    amount = AmountField(
        label=_("Purchase amount (€)"),
        min_value=Decimal("0.01"),
        max_value=Decimal("1000000"),
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def cents(self) -> int:
        amount: Decimal = self.cleaned_data["amount"]
        return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


class RedeemStampsForm(StaffMixin):
    pass


class RedeemPointsForm(StaffMixin):
    reward_id = forms.ChoiceField(label=_("Reward"), widget=forms.RadioSelect)

    def __init__(self, *args: object, rewards: list[dict], **kwargs: object) -> None:
        """``rewards``: the ones the card can afford (``card.affordable_rewards``), the only ones
        offered."""
        super().__init__(*args, **kwargs)
        self.fields["reward_id"].choices = [
            (r["id"], f"{r['name']} — {r['points_cost']}") for r in rewards
        ]
