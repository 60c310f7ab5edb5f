"""Tenant fixtures on the real PostgreSQL (embedded by default, DATABASE_URL when set).

Two modes:
- ``merchant`` / ``other_merchant`` (and ``make_merchant``) run inside the test's transaction:
  schemas are cloned for real and vanish with the rollback, so most tests cost a few ms each.
- ``committed_db`` commits for real, for tests whose other side runs on another connection (a live
  HTTP server thread, parallel requests, a Celery worker); it drops what the test created.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.db import connection
from django.test import Client
from django.test.testcases import LiveServerThread

from merchants.models import Merchant
from merchants.services import MerchantSignup, create_merchant, purge_merchant

PASSWORD = "a sturdy test passphrase 42"


@pytest.fixture(autouse=True)
def _back_to_public_schema() -> Iterator[None]:
    yield
    connection.set_schema_to_public()


def _make(
    slug: str, *, name: str | None = None, email: str | None = None, password: str = PASSWORD
) -> Merchant:
    merchant = create_merchant(
        signup=MerchantSignup(
            name=name or f"{slug.capitalize()} Shop",
            slug=slug,
            email=email or f"owner@{slug}.example",
            password=password,
        )
    )
    connection.set_schema_to_public()
    return merchant


@pytest.fixture
def make_merchant(db: None) -> Callable[..., Merchant]:
    return _make


@pytest.fixture
def merchant(make_merchant: Callable[..., Merchant]) -> Merchant:
    return make_merchant("alpha")


@pytest.fixture
def other_merchant(make_merchant: Callable[..., Merchant]) -> Merchant:
    """A merchant the outsider belongs to: nothing of ``merchant`` may be reachable from it."""
    return make_merchant("beta")


def client_for(merchant: Merchant | None, **kwargs: object) -> Client:
    """A test client whose requests carry the merchant's host name (None: the platform host)."""
    host = merchant.primary_host if merchant else "localhost"
    return Client(HTTP_HOST=host, **kwargs)


@pytest.fixture
def committed_db(django_db_setup: None, django_db_blocker: pytest.FixtureDef) -> Iterator[None]:
    """Real commits; merchants created during the test are dropped with their schemas after it."""
    with django_db_blocker.unblock():
        assert not connection.in_atomic_block, (
            "committed_db cannot be combined with the django_db mark (its transaction would hide "
            "the commits from other connections): put such tests in a module of their own"
        )
        connection.set_schema_to_public()
        before = set(Merchant.objects.values_list("pk", flat=True))
        yield
        connection.set_schema_to_public()
        for merchant in Merchant.objects.exclude(pk__in=before):
            purge_merchant(merchant=merchant)


@pytest.fixture
def committed_merchant(committed_db: None) -> Merchant:
    return _make("gamma")


@pytest.fixture(scope="session")
def live_server_url(django_db_setup: None, django_db_blocker: pytest.FixtureDef) -> Iterator[str]:
    """A real HTTP server (threaded WSGI) on 127.0.0.1, serving the project against the test DB.

    Reach a merchant with ``http://<slug>.localhost:<port>/`` (resolves to 127.0.0.1) or send the
    Host header yourself.
    """
    with django_db_blocker.unblock():
        thread = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        yield f"http://localhost:{thread.port}"
        thread.terminate()
