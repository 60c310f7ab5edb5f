from __future__ import annotations

from django.contrib import admin

from cards.models import Customer
from loyalty_saas.common.admin import backoffice_site


@admin.register(Customer, site=backoffice_site)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "enrolled_store", "marketing_consent", "created_at"]
    list_filter = ["marketing_consent", "locale", "enrolled_store"]
    search_fields = ["name", "email", "phone", "external_id"]
    list_select_related = ["enrolled_store"]
    readonly_fields = ["created_at", "updated_at", "marketing_consent_at"]
    date_hierarchy = "created_at"
