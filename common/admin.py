"""The merchant's back office: a Django admin site of its own, served on merchant hosts only.

The platform has a separate site (``merchants.admin.platform_admin_site``). Keeping them apart
means no model registered for one can ever appear on the other, whatever order apps load in.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.utils.translation import gettext_lazy as _


class BackOfficeSite(admin.AdminSite):
    site_header = _("Loyalty back office")
    site_title = _("Loyalty back office")
    index_title = _("Your loyalty programme")

    def each_context(self, request):  # type: ignore[no-untyped-def]
        context = super().each_context(request)
        tenant = getattr(request, "tenant", None)
        if tenant is not None:
            context["site_header"] = tenant.name
        return context


backoffice_site = BackOfficeSite(name="backoffice")
backoffice_site.register(User, UserAdmin)
backoffice_site.register(Group, GroupAdmin)
