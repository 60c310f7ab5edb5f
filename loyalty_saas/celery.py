"""The Celery app. Tenant-aware: a task queued inside a merchant's schema runs in that schema."""

from __future__ import annotations

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty_saas.settings.base")

app = CeleryApp("loyalty_saas")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
