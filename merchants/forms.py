from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from common.emails import normalise_email
from common.validators import refuse_control_characters


class SignupForm(forms.Form):
    name = forms.CharField(
        label=_("Business name"), max_length=200, validators=[refuse_control_characters]
    )
    slug = forms.CharField(
        label=_("Address"),
        max_length=32,
        help_text=_("Your back office and your customers' pages will live at <slug>.%(domain)s")
        % {"domain": settings.PLATFORM_DOMAIN},
    )
    email = forms.EmailField(label=_("E-mail"))
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_slug(self) -> str:
        return self.cleaned_data["slug"].strip().lower()

    def clean_email(self) -> str:
        return normalise_email(self.cleaned_data["email"])


class SignInLinksForm(forms.Form):
    """The platform's "Sign in": an address to e-mail the back-office sign-in pages to."""

    email = forms.EmailField(label=_("E-mail"), max_length=254)

    def clean_email(self) -> str:
        return normalise_email(self.cleaned_data["email"])
