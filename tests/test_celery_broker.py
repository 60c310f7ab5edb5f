"""One real task through the real broker (Redis on this machine) and a real worker.

Runs when CELERY_BROKER_URL is set (``.ci/run`` sets it when Redis answers on 127.0.0.1:6379).
"""

from __future__ import annotations

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django_tenants.utils import schema_context
from tenant_schemas_celery.app import CeleryApp

from merchants.models import Merchant

pytestmark = pytest.mark.skipif(
    not settings.TEST_CELERY_BROKER_URL, reason="CELERY_BROKER_URL is not set"
)


@pytest.fixture
def broker_app() -> CeleryApp:
    app = CeleryApp("loyalty_saas_broker_test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(
        broker_url=settings.TEST_CELERY_BROKER_URL,
        result_backend=settings.TEST_CELERY_BROKER_URL,
        task_always_eager=False,
        task_default_queue="loyalty-test",
    )
    app.autodiscover_tasks(force=True)
    return app


def test_a_real_worker_runs_the_task_in_the_merchant_schema(
    broker_app: CeleryApp, committed_merchant: Merchant
) -> None:
    probe = broker_app.tasks["merchants.tasks.probe_schema_task"]
    with start_worker(broker_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        with schema_context(committed_merchant.schema_name):
            async_result = probe.delay()
        result = async_result.get(timeout=30)

    assert async_result.backend.__class__.__name__ == "RedisBackend"
    assert result == {
        "schema": committed_merchant.schema_name,
        "search_path": [committed_merchant.schema_name, "public"],
    }
