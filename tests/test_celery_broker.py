"""One real task through the real broker (Redis on this machine) and a real worker.

Runs when CELERY_BROKER_URL is set (``.ci/run`` sets it when Redis answers on 127.0.0.1:6379).
"""

from __future__ import annotations

import os

import pytest
from celery import Celery
from django.conf import settings
from django_tenants.utils import schema_context

from merchants.models import Merchant
from merchants.tasks import probe_schema_task
from tests.celery_worker import build_app, running_worker

pytestmark = pytest.mark.skipif(
    not settings.TEST_CELERY_BROKER_URL, reason="CELERY_BROKER_URL is not set"
)


@pytest.fixture
def broker_app() -> Celery:
    return build_app(
        broker_url=settings.TEST_CELERY_BROKER_URL,
        result_backend=settings.TEST_CELERY_BROKER_URL,
        # A queue of this run's own: another run's worker on the same Redis must not take its task.
        task_default_queue=f"loyalty-test-{os.getpid()}",
    )


def test_a_real_worker_runs_the_task_in_the_merchant_schema(
    broker_app: Celery, committed_merchant: Merchant
) -> None:
    probe = broker_app.tasks[probe_schema_task.name]
    with running_worker(broker_app):
        with schema_context(committed_merchant.schema_name):
            async_result = probe.delay()
        result = async_result.get(timeout=30)

    assert async_result.backend.__class__.__name__ == "RedisBackend"
    assert result == {
        "schema": committed_merchant.schema_name,
        "search_path": [committed_merchant.schema_name, "public"],
    }
