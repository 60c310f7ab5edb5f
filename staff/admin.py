"""Back office for API keys (create, shown once; rename; revoke) and staff PINs (create, rename,
new PIN, (de)activate, unlock). Every write goes through the services in ``staff.services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db.models import Q, QuerySet
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin
from unfold.widgets import (
    UnfoldAdminCheckboxSelectMultipleWidget,
    UnfoldAdminPasswordWidget,
    UnfoldAdminTextInputWidget,
    UnfoldBooleanSwitchWidget,
)

from common.admin import (
    ServiceForm,
    adopt,
    backoffice_site,
    render_admin_page,
)
from common.validators import refuse_control_characters
from programs.models import Store
from staff.models import ApiKey, ApiScope, Cashier, StaffPin
from staff.pins import PIN_MAX_LENGTH
from staff.services import (
    KEY_PREFIX,
    create_api_key,
    create_cashier,
    create_staff_pin,
    revoke_api_key,
    update_cashier,
    update_staff_pin,
)

SCOPE_LABELS = {ApiScope.READ: _("Read"), ApiScope.WRITE: _("Write")}


class ApiKeyCreateForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=ApiScope.choices,
        initial=[ApiScope.READ],
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
        error_messages={"required": _("Choose what the key may do: read, write or both.")},
    )

    class Meta:
        model = ApiKey
        fields = ["name", "store", "scopes"]
        help_texts = {"name": _("What uses the key, e.g. “Wizamart” or “Till 2”.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].empty_label = _("All stores")


class ApiKeyStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("active", _("Active")), ("revoked", _("Revoked"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> QuerySet[ApiKey]:
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiKey, site=backoffice_site)
class ApiKeyAdmin(ModelAdmin):
    list_display = [
        "name",
        "key",
        "store_display",
        "scopes_display",
        "last_used_at",
        "status",
        "created_at",
    ]
    list_filter = [ApiKeyStatusFilter, "store"]
    search_fields = ["name", "prefix"]
    list_select_related = ["store"]
    actions = ["revoke_keys"]
    created_template = "admin/staff/apikey/created.html"

    def get_form(self, request: HttpRequest, obj: ApiKey | None = None, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = ApiKeyCreateForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: ApiKey | None = None) -> Any:
        if obj is None:
            return [(None, {"fields": ["name", "store", "scopes"]})]
        return [
            (None, {"fields": ["name", "key", "status"]}),
            (_("Access"), {"fields": ["store_display", "scopes_display"]}),
            (_("Activity"), {"fields": ["created_at", "last_used_at", "revoked_at"]}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> Any:
        if obj is None:
            return []
        # The secret cannot be shown again (only its hash is stored) and what a key may do is
        # fixed at creation: a different access is a new key.
        return [
            "key",
            "status",
            "store_display",
            "scopes_display",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Revoke instead: the row keeps the key's history (when it was made, last used, revoked).
        return False

    @admin.display(description=_("key"), ordering="prefix")
    def key(self, obj: ApiKey) -> str:
        return f"{KEY_PREFIX}{obj.prefix}_…"

    @admin.display(description=_("store"), ordering="store__name")
    def store_display(self, obj: ApiKey) -> str:
        return obj.store.name if obj.store else str(_("All stores"))

    @admin.display(description=_("scopes"))
    def scopes_display(self, obj: ApiKey) -> str:
        return ", ".join(str(SCOPE_LABELS.get(scope, scope)) for scope in obj.scopes)

    @admin.display(description=_("status"), ordering="revoked_at")
    def status(self, obj: ApiKey) -> str:
        return str(_("Revoked") if obj.revoked_at else _("Active"))

    @admin.action(description=_("Revoke selected keys"), permissions=["change"])
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        revoked = 0
        for key in queryset.filter(revoked_at__isnull=True):
            revoke_api_key(key=key)
            revoked += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d key revoked: it no longer works.",
                "%(count)d keys revoked: they no longer work.",
                revoked,
            )
            % {"count": revoked},
            messages.SUCCESS if revoked else messages.WARNING,
        )

    def save_model(self, request: HttpRequest, obj: ApiKey, form: BaseForm, change: bool) -> None:
        if change:
            # The name is the only thing that can change; nothing else may be written here.
            obj.save(update_fields=["name", "updated_at"])
            return
        key, raw_key = create_api_key(
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            store=form.cleaned_data.get("store"),
        )
        adopt(obj, key)
        # Kept on this instance only, for the response below: never in a message, cookie or
        # session, so the secret leaves the server exactly once.
        obj.raw_key = raw_key  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: ApiKey, post_url_continue: str | None = None
    ) -> HttpResponse:
        raw_key = getattr(obj, "raw_key", None)
        if raw_key is None:
            return super().response_add(request, obj, post_url_continue)
        # Whatever button was pressed ("save and add another", a popup), this page comes first:
        # it is the only chance to copy the key.
        response = render_admin_page(
            self,
            request,
            self.created_template,
            title=_("Your new API key"),
            key=obj,
            raw_key=raw_key,
            store_name=self.store_display(obj),
            scopes=self.scopes_display(obj),
        )
        # The secret must not land in any cache, the browser's included.
        response["Cache-Control"] = "no-store, private, max-age=0"
        return response


# --- Staff PINs


def _pin_field(**kwargs: Any) -> forms.CharField:
    # Never rendered back (PasswordInput's default), so a PIN is not in any page, even one
    # showing an error; the numeric keypad on phones and tablets.
    widget = UnfoldAdminPasswordWidget(
        attrs={
            "autocomplete": "new-password",
            "inputmode": "numeric",
            "maxlength": str(PIN_MAX_LENGTH),
        }
    )
    return forms.CharField(widget=widget, **kwargs)


class StaffPinForm(ServiceForm, forms.ModelForm):
    """A PIN form whose saving is the service's: ``write()`` calls it once everything else is
    valid, so its field errors (a weak or taken PIN, a name already used) land on the fields.

    The admin wraps the whole request in one transaction, so the row and its log entry are
    committed together or not at all. ``saved`` is the row the service wrote.
    """

    saved: StaffPin | None = None

    def write(self) -> StaffPin:
        raise NotImplementedError


class StaffPinAddForm(StaffPinForm):
    pin = _pin_field(
        label=_("PIN"),
        help_text=_(
            "4 to 6 digits, different from the other PINs of the store. Give it to the staff "
            "member: it cannot be shown again."
        ),
    )

    class Meta:
        model = StaffPin
        fields = ["store", "name", "pin"]
        help_texts = {"name": _("As the staff member appears in the ledger, e.g. “Alice”.")}

    def write(self) -> StaffPin:
        data = self.cleaned_data
        return create_staff_pin(store=data["store"], name=data["name"], pin=data["pin"])


class StaffPinChangeForm(StaffPinForm):
    pin = _pin_field(
        label=_("new PIN"),
        required=False,
        help_text=_("Leave empty to keep the current PIN. A new PIN also lifts a lock."),
    )

    class Meta:
        model = StaffPin
        fields = ["name", "pin", "is_active"]
        help_texts = {
            "is_active": _(
                "An inactive PIN is refused at the till. PINs are not deleted: the ledger "
                "keeps showing who did what."
            )
        }

    def write(self) -> StaffPin:
        if not self.has_changed():
            return self.instance
        data = self.cleaned_data
        return update_staff_pin(
            staff_pin=self.instance,
            name=data["name"],
            pin=data["pin"] or None,
            is_active=data["is_active"],
        )


class StaffPinLockFilter(admin.SimpleListFilter):
    title = _("lock")
    parameter_name = "lock"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("locked", _("Locked")), ("unlocked", _("Not locked"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[StaffPin]) -> QuerySet[StaffPin]:
        locked = Q(locked_until__gt=timezone.now())
        if self.value() == "locked":
            return queryset.filter(locked)
        if self.value() == "unlocked":
            return queryset.exclude(locked)
        return queryset


@admin.register(StaffPin, site=backoffice_site)
class StaffPinAdmin(ModelAdmin):
    list_display = ["name", "store", "is_active", "lock_status", "failed_attempts", "last_used_at"]
    list_filter = ["store", "is_active", StaffPinLockFilter]
    search_fields = ["name", "store__name", "store__code"]
    list_select_related = ["store"]
    actions = ["unlock_pins"]

    def get_form(self, request: HttpRequest, obj: StaffPin | None = None, **kwargs: Any) -> Any:
        kwargs["form"] = StaffPinAddForm if obj is None else StaffPinChangeForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: StaffPin | None = None) -> Any:
        if obj is None:
            return [(None, {"fields": ["store", "name", "pin"]})]
        return [
            (None, {"fields": ["store", "name", "pin", "is_active"]}),
            (_("Activity"), {"fields": ["lock_status", "failed_attempts", "last_used_at"]}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: StaffPin | None = None) -> Any:
        if obj is None:
            return []
        # A PIN stays with its store: the ledger records where its operations happened.
        return ["store", "lock_status", "failed_attempts", "last_used_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deactivate instead: the ledger points at the PIN to say who did what.
        return False

    @admin.display(description=_("lock"), ordering="locked_until")
    def lock_status(self, obj: StaffPin) -> str:
        if not obj.is_locked(timezone.now()):
            return self.get_empty_value_display()
        until = formats.localize(timezone.template_localtime(obj.locked_until))
        return str(_("Locked until %(time)s") % {"time": until})

    @admin.action(description=_("Unlock selected PINs"), permissions=["change"])
    def unlock_pins(self, request: HttpRequest, queryset: QuerySet[StaffPin]) -> None:
        unlocked = 0
        # Also those with failed attempts but no lock yet: their count starts again from zero.
        for staff_pin in queryset.filter(
            Q(locked_until__gt=timezone.now()) | Q(failed_attempts__gt=0)
        ):
            update_staff_pin(staff_pin=staff_pin, unlock=True)
            unlocked += 1
        if not unlocked:
            self.message_user(request, _("None of the selected PINs was locked."), messages.WARNING)
            return
        self.message_user(
            request,
            ngettext(
                "%(count)d PIN unlocked: it can be used again right away.",
                "%(count)d PINs unlocked: they can be used again right away.",
                unlocked,
            )
            % {"count": unlocked},
            messages.SUCCESS,
        )

    def save_model(self, request: HttpRequest, obj: StaffPin, form: BaseForm, change: bool) -> None:
        # The form's validation already wrote the row through the service (see StaffPinForm).
        adopt(obj, form.saved)  # type: ignore[attr-defined]


# --- Cashiers


class CashierForm(ServiceForm, forms.ModelForm):
    """A cashier form whose saving is the service's, like ``StaffPinForm``: a taken username or
    a weak password lands on its field."""

    saved: Cashier | None = None

    class Meta:
        model = Cashier
        fields = ["stores"]
        widgets = {"stores": UnfoldAdminCheckboxSelectMultipleWidget}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stores"].queryset = Store.objects.filter(is_active=True).order_by("name")

    def write(self) -> Cashier:
        raise NotImplementedError


class CashierAddForm(CashierForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=150,
        validators=[refuse_control_characters],
        widget=UnfoldAdminTextInputWidget,
        help_text=_("As colleagues know them, e.g. “Alice Martin”."),
    )
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        widget=UnfoldAdminTextInputWidget,
        help_text=_("What they type to sign in at the counter terminal."),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=UnfoldAdminPasswordWidget(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters. Give it to the cashier: it cannot be shown again."),
    )

    class Meta(CashierForm.Meta):
        fields = ["name", "username", "password", "stores"]

    def write(self) -> Cashier:
        data = self.cleaned_data
        return create_cashier(
            name=data["name"],
            username=data["username"],
            password=data["password"],
            stores=data["stores"],
        )


class CashierChangeForm(CashierForm):
    password = forms.CharField(
        label=_("New password"),
        strip=False,
        required=False,
        widget=UnfoldAdminPasswordWidget(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current password."),
    )
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        widget=UnfoldBooleanSwitchWidget,
        help_text=_("An inactive cashier can no longer sign in to the counter terminal."),
    )

    class Meta(CashierForm.Meta):
        fields = ["stores", "password", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["is_active"].initial = self.instance.user.is_active

    def write(self) -> Cashier:
        data = self.cleaned_data
        return update_cashier(
            cashier=self.instance,
            stores=data["stores"],
            password=data["password"] or None,
            is_active=data["is_active"],
        )


@admin.register(Cashier, site=backoffice_site)
class CashierAdmin(ModelAdmin):
    list_display = ["name", "username", "stores_display", "active"]
    list_filter = ["user__is_active", "stores"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    list_select_related = ["user"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Cashier]:
        return super().get_queryset(request).prefetch_related("stores")

    def get_form(self, request: HttpRequest, obj: Cashier | None = None, **kwargs: Any) -> Any:
        kwargs["form"] = CashierAddForm if obj is None else CashierChangeForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Cashier | None = None) -> Any:
        if obj is None:
            return [(None, {"fields": ["name", "username", "password", "stores"]})]
        return [
            (None, {"fields": ["name", "username", "stores"]}),
            (_("Access"), {"fields": ["password", "is_active"]}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Cashier | None = None) -> Any:
        return [] if obj is None else ["name", "username"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deactivate instead: the account's history stays readable.
        return False

    @admin.display(description=_("name"), ordering="user__first_name")
    def name(self, obj: Cashier) -> str:
        return obj.user.get_full_name() or self.get_empty_value_display()

    @admin.display(description=_("username"), ordering="user__username")
    def username(self, obj: Cashier) -> str:
        return obj.user.get_username()

    @admin.display(description=_("stores"))
    def stores_display(self, obj: Cashier) -> str:
        names = [store.name for store in obj.stores.all()]
        return ", ".join(names) if names else str(_("All stores"))

    @admin.display(description=_("active"), boolean=True, ordering="user__is_active")
    def active(self, obj: Cashier) -> bool:
        return obj.user.is_active

    def save_model(self, request: HttpRequest, obj: Cashier, form: BaseForm, change: bool) -> None:
        # The form's validation already wrote the rows through the service (see CashierForm).
        adopt(obj, form.saved)  # type: ignore[attr-defined]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The stores were set by the service.
        return None
