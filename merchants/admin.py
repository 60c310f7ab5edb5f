"""The platform's admin site (platform host only): merchants, their domains, platform staff."""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import PeriodicTaskAdmin
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from unfold.admin import ModelAdmin, TabularInline
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from common.admin import ThemedAdminSite
from merchants.models import Domain, Merchant


class PlatformAdminSite(ThemedAdminSite):
    """The platform staff's admin, in the back office's look with its own sidebar (settings
    ``UNFOLD_PLATFORM``)."""

    settings_name = "UNFOLD_PLATFORM"
    site_header = _("Loyalty platform")
    site_title = _("Loyalty platform")
    index_title = _("Platform administration")
    index_template = "admin/platform/index.html"


platform_admin_site = PlatformAdminSite(name="platform_admin")


class DomainInline(TabularInline):
    model = Domain
    extra = 0


@admin.register(Merchant, site=platform_admin_site)
class MerchantAdmin(ModelAdmin):
    list_display = ["name", "schema_name", "contact_email", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "schema_name", "contact_email", "domains__domain"]
    readonly_fields = ["schema_name", "created_at"]
    inlines = [DomainInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A merchant needs a schema, a host name and an owner together: use sign-up or
        # `manage.py create_merchant`, which do all of it in one transaction.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Deleting would orphan (or drop) a schema full of customer data; deactivate instead.
        return False


@admin.register(Domain, site=platform_admin_site)
class DomainAdmin(ModelAdmin):
    list_display = ["domain", "tenant", "is_primary"]
    search_fields = ["domain", "tenant__name"]
    list_select_related = ["tenant"]


@admin.register(User, site=platform_admin_site)
class PlatformUserAdmin(UserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm


@admin.register(Group, site=platform_admin_site)
class PlatformGroupAdmin(GroupAdmin, ModelAdmin):
    pass


# Locked-out sign-ins to the platform admin: deleting an attempt unlocks it. A merchant's users are
# unlocked in that merchant's back office or with `tenant_command axes_reset_username` (README).
@admin.register(AccessAttempt, site=platform_admin_site)
class PlatformAccessAttemptAdmin(AccessAttemptAdmin, ModelAdmin):
    pass


@admin.register(PeriodicTask, site=platform_admin_site)
class PlatformPeriodicTaskAdmin(PeriodicTaskAdmin, ModelAdmin):
    pass


for model in (IntervalSchedule, CrontabSchedule, SolarSchedule, ClockedSchedule):
    platform_admin_site.register(model, ModelAdmin)
