"""Back office for API keys: create (the key is shown once), rename, revoke."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from loyalty_saas.common.admin import backoffice_site
from staff.models import ApiKey, ApiScope
from staff.services import KEY_PREFIX, create_api_key, revoke_api_key

SCOPE_LABELS = {ApiScope.READ: _("Read"), ApiScope.WRITE: _("Write")}


class ApiKeyCreateForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=ApiScope.choices,
        initial=[ApiScope.READ],
        widget=forms.CheckboxSelectMultiple,
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
class ApiKeyAdmin(admin.ModelAdmin):
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
        # The admin goes on with its own instance (log entry, response): make it the saved row.
        for field in ApiKey._meta.concrete_fields:
            setattr(obj, field.attname, getattr(key, field.attname))
        obj._state.adding = False
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
        context = {
            **self.admin_site.each_context(request),
            "title": _("Your new API key"),
            "subtitle": None,
            "opts": self.opts,
            "key": obj,
            "raw_key": raw_key,
            "store_name": self.store_display(obj),
            "scopes": self.scopes_display(obj),
        }
        response = TemplateResponse(request, self.created_template, context)
        # The secret must not land in any cache, the browser's included.
        response["Cache-Control"] = "no-store, private, max-age=0"
        return response
