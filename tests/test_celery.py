"""Celery is tenant-aware: a task queued inside a merchant's schema runs in that schema.

Proved on a real worker (a thread with its own database connection) fed through an in-memory
broker, with the app built by the project's own factory: run in-process, the task would inherit
the caller's schema and pass with a plain Celery app too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery import Celery
from celery.result import EagerResult
from django.db import connection
from django_tenants.utils import schema_context

from merchants.models import Merchant
from merchants.services import MerchantSignup, create_merchant
from merchants.tasks import probe_schema_task
from tests.celery_worker import IN_MEMORY, build_app, running_worker
from tests.conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("committed_db")


@pytest.fixture(scope="module")
def worker_app(django_db_setup: None, django_db_blocker: pytest.FixtureDef) -> Iterator[Celery]:
    app = build_app(**IN_MEMORY)
    with django_db_blocker.unblock(), running_worker(app):
        yield app


def _probe(app: Celery) -> dict[str, object]:
    result = app.tasks[probe_schema_task.name].delay()
    assert not isinstance(result, EagerResult), "the task ran in-process, not on the worker"
    return result.get(timeout=30, interval=0.01)


def test_a_task_runs_in_the_schema_it_was_queued_from(
    worker_app: Celery, committed_merchant: Merchant
) -> None:
    # Two merchants: the task follows the schema it was queued from, not merely "a merchant".
    signup = MerchantSignup(name="Beta", slug="beta", email="owner@beta.example", password=PASSWORD)
    other = create_merchant(signup=signup)
    connection.set_schema_to_public()

    with schema_context(other.schema_name):
        result = _probe(worker_app)

    assert result == {"schema": "beta", "search_path": ["beta", "public"]}


def test_a_task_queued_on_the_platform_runs_in_public(worker_app: Celery) -> None:
    assert _probe(worker_app) == {"schema": "public", "search_path": ["public"]}
