"""The Celery app. Tenant-aware: a task queued inside a merchant's schema runs in that schema."""

from __future__ import annotations

import os
from typing import Any

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty_saas.settings.base")


def make_app(*, set_as_current: bool = True, **config: Any) -> CeleryApp:
    """The project's Celery app, built the one way every worker runs it.

    ``config`` overrides the ``CELERY_*`` settings: the tests build the same app on another broker
    (in memory, or a Redis database of their own) and run a real worker on it.
    """
    app = CeleryApp("loyalty_saas", set_as_current=set_as_current)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(config)
    app.autodiscover_tasks()
    return app


app = make_app()
