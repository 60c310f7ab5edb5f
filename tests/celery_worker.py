"""A real Celery worker for tests: a thread of this process, consuming the app's broker.

The worker thread opens its own database connection, so what its tasks read must be committed:
use it from tests with the ``committed_db`` fixture, in a module without the ``django_db`` mark.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from celery import Celery, _state
from celery.contrib.testing.worker import TestWorkController, start_worker

from loyalty_saas.celery import make_app

IN_MEMORY = {
    "broker_url": "memory://",
    "result_backend": "cache+memory://",
    # The in-memory transport is polled (every second by default): keep the tests quick.
    "broker_transport_options": {"polling_interval": 0.01},
}


def build_app(**config: object) -> Celery:
    """The project's own Celery app (``loyalty_saas.celery.make_app``) on another broker, with
    tasks going through the broker instead of running in-process as the test settings say."""
    return make_app(set_as_current=False, task_always_eager=False, **config)


@contextmanager
def running_worker(app: Celery) -> Iterator[TestWorkController]:
    """A worker on ``app`` (solo pool) for the duration of the block."""
    # start_worker makes its app the current and default one for the whole process: put the
    # previous ones back, so later tests see ``celery.current_app`` as if no worker had run.
    current, default = _state._tls.current_app, _state.default_app
    try:
        # start_worker also changes the warning filters (catch_warnings() puts them back) and
        # sends warnings to logging (captureWarnings(False) below stops that).
        with (
            warnings.catch_warnings(),
            start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker,
        ):
            yield worker
    finally:
        logging.captureWarnings(False)
        _state._set_current_app(current)
        _state.set_default_app(default)
