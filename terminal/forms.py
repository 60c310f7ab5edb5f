"""Forms of the staff terminal. They parse; the engine in cards.services decides."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from staff.models import StaffPin
from staff.pins import PIN_DIGITS, PIN_MAX_LENGTH, validate_pin_format


class LookupForm(forms.Form):
    number = forms.CharField(
        label=_("Card number"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "off",
                "id": "card-number",
                "autofocus": True,
                "placeholder": "1234 5678 9012",
            }
        ),
    )


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


class PointsForm(StaffMixin):
    amount = forms.DecimalField(
        label=_("Purchase amount (€)"),
        min_value=Decimal("0.01"),
        max_value=Decimal("1000000"),
        decimal_places=2,
        localize=True,
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
        super().__init__(*args, **kwargs)
        self.fields["reward_id"].choices = [
            (r["id"], f"{r['name']} — {r['points_cost']}") for r in rewards
        ]
