"""The merchant's back office: a Django admin site of its own, served on merchant hosts only,
and the helpers its ModelAdmins share.

The platform has a separate site (``merchants.admin.platform_admin_site``). Keeping them apart
means no model registered for one can ever appear on the other, whatever order apps load in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.db.models.options import Options
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.forms import (
    AdminPasswordChangeForm,
    AuthenticationForm,
    UserChangeForm,
    UserCreationForm,
)
from unfold.sites import UnfoldAdminSite

# The counter terminal's home (terminal/urls.py): common imports no app, so its path is spelled.
TERMINAL_URL = "/staff/"


class BackOfficeLoginForm(AuthenticationForm):
    """The back office's sign-in, which also lets a cashier (an active user who is not a
    back-office user) through: ``BackOfficeSite.login`` then sends them to the counter terminal
    instead of refusing a correct password with "not a staff account"."""

    def confirm_login_allowed(self, user: Any) -> None:
        if not user.is_active:
            super().confirm_login_allowed(user)


class ThemedAdminSite(UnfoldAdminSite):
    """An admin site in django-unfold's look whose bare sign-in page still lands on the site's home.

    unfold's sign-in form posts to the page's own URL and has no hidden "next" field, so a sign-in
    from ``login/`` without ``?next=`` would go to ``LOGIN_REDIRECT_URL`` (a 404): the page is
    first given the ``next`` Django's own form would have carried."""

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        if request.method == "GET" and REDIRECT_FIELD_NAME not in request.GET:
            home = reverse(f"{self.name}:index")
            return HttpResponseRedirect(f"{request.path}?{urlencode({REDIRECT_FIELD_NAME: home})}")
        return super().login(request, extra_context)


class BackOfficeSite(ThemedAdminSite):
    """The merchant's back office, in django-unfold's look; its sidebar groups what a merchant
    manages the way they think of it (``common.navigation``, settings ``UNFOLD``)."""

    site_header = _("Loyalty back office")
    site_title = _("Loyalty back office")
    index_title = _("Your loyalty programme")
    index_template = "admin/backoffice/index.html"
    login_form = BackOfficeLoginForm

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        response = super().login(request, extra_context)
        user = request.user
        # A cashier (signed in here just now, or at the terminal before): the back office is not
        # theirs, the terminal is; has_permission() would only bring them back to this form.
        if user.is_authenticated and user.is_active and not user.is_staff:
            messages.info(
                request,
                _(
                    "You are signed in as a cashier: the counter terminal is your place. "
                    "The back office is for the owner."
                ),
            )
            return HttpResponseRedirect(TERMINAL_URL)
        return response

    def each_context(self, request):  # type: ignore[no-untyped-def]
        context = super().each_context(request)
        tenant = getattr(request, "tenant", None)
        if tenant is not None:
            context["site_header"] = tenant.name
        return context


backoffice_site = BackOfficeSite(name="backoffice")


class UserAdmin(DjangoUserAdmin, ModelAdmin):
    """Django's user admin in the theme's forms. Groups and raw permissions are not shown: a
    merchant's accounts are an owner (superuser) and cashiers (staff), nothing in between."""

    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = ["username", "first_name", "last_name", "email", "is_superuser", "is_active"]
    list_filter = ["is_superuser", "is_active"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )


class AccessAttemptsAdmin(AccessAttemptAdmin, ModelAdmin):
    pass


backoffice_site.register(User, UserAdmin)
# Locked-out sign-ins of this merchant's users: deleting an attempt unlocks it.
backoffice_site.register(AccessAttempt, AccessAttemptsAdmin)


def admin_url(site: admin.AdminSite, opts: Options, page: str, obj: Model | None = None) -> str:
    """The URL of a page of ``opts``' model on ``site``: "changelist", "add", "change", or one of
    the pages a ModelAdmin adds (see ``ObjectPagesAdmin``)."""
    args = [quote(obj.pk)] if obj is not None else []
    return reverse(f"{site.name}:{opts.app_label}_{opts.model_name}_{page}", args=args)


class ObjectPagesAdmin(ModelAdmin):
    """A ModelAdmin with pages of its own about one object (a poster, a correction form), behind
    the site's login like the others, and linked from the object's change form."""

    def get_object_pages(self) -> list[tuple[str, Callable[..., HttpResponse], str]]:
        """``(route after "<object_id>/", view, page name)`` for each page; a view is called with
        the request and the ``object_id`` from the URL."""
        return []

    def get_urls(self) -> list[URLPattern]:
        opts = self.opts
        pages = [
            path(
                f"<path:object_id>/{route}",
                self.admin_site.admin_view(view),
                name=f"{opts.app_label}_{opts.model_name}_{page}",
            )
            for route, view, page in self.get_object_pages()
        ]
        # Before the default URLs: their "<path:object_id>/" would swallow these.
        return [*pages, *super().get_urls()]

    def object_url(self, page: str, obj: Model) -> str:
        return admin_url(self.admin_site, self.opts, page, obj)

    def change_form_context(self, request: HttpRequest, obj: Model) -> dict[str, Any]:
        """What the change form of a saved object shows besides its fields (links to its pages)."""
        return {}

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Model | None = None,
    ) -> HttpResponse:
        if obj is not None and not add:
            context.update(self.change_form_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)


def render_admin_page(
    model_admin: ModelAdmin,
    request: HttpRequest,
    template: str,
    *,
    title: str,
    **context: Any,
) -> TemplateResponse:
    """A page in the back office's frame (header, navigation), about ``model_admin``'s model; the
    template extends "admin/object_page.html" for the breadcrumbs."""
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(
        request,
        template,
        {
            **model_admin.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            "opts": model_admin.opts,
            **context,
        },
    )


def adopt(target: Model, saved: Model) -> None:
    """Make the admin's own unsaved instance the row a service just wrote: the admin goes on
    using it for its log entry, its message and its redirect."""
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


def show_service_error(form: BaseForm, error: ValidationError) -> None:
    """Show a service's refusal on ``form``: each field's errors on that field when the form has
    it, the rest above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class ServiceForm(BaseForm):
    """A form (put before ``ModelForm`` in the bases) whose saving is a service's: ``write()`` is
    called once every field is valid, and the service's refusals (a taken name, a weak PIN or
    password) land on the fields they are about. ``saved`` is what the service wrote.

    ModelForm.clean() is not called on purpose: it would check the model's constraints on the
    unsaved copy and word a taken name as a constraint's name; the service checks the same under
    its lock, with a message a merchant can act on. The admin wraps the request in one
    transaction, so the row and its log entry are committed together or not at all.
    """

    saved: Any = None

    def clean(self) -> dict[str, Any]:
        return self.cleaned_data

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        if self.errors:
            return
        try:
            self.saved = self.write()
        except ValidationError as error:
            show_service_error(self, error)

    def write(self) -> Any:
        raise NotImplementedError
