from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from loyalty_saas.common.admin import backoffice_site
from programs.models import Store


@admin.register(Store, site=backoffice_site)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "timezone", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code", "address"]
    fieldsets = [
        (None, {"fields": ["name", "code", "is_active"]}),
        (_("Location"), {"fields": ["address", "timezone"]}),
    ]
