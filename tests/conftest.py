"""Tenant fixtures on the real PostgreSQL (embedded by default, DATABASE_URL when set).

Two modes:
- ``merchant`` / ``other_merchant`` (and ``make_merchant``) run inside the test's transaction:
  schemas are cloned for real and vanish with the rollback, so most tests cost a few ms each.
- ``committed_db`` commits for real, for tests whose other side runs on another connection (a live
  HTTP server thread, parallel requests, a Celery worker); it drops what the test created.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.cache import cache
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connection
from django.test import Client
from django.test.testcases import LiveServerThread
from django_tenants.utils import schema_context
from pytest_django.fixtures import _set_suffix_to_test_databases

from merchants.models import Merchant
from merchants.selectors import _hosts
from merchants.services import MerchantSignup, create_merchant, purge_merchant
from programs.models import LoyaltyProgram, Store
from programs.services import create_program, create_store
from staff.services import _api_keys, create_api_key, create_staff_pin

PASSWORD = "a sturdy test passphrase 42"
STAMPS_PIN = "2580"
POINTS_PIN = "1397"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """PYTEST_DB_SUFFIX=x gives this run its own test database (two runs on one server)."""
    suffix = os.environ.get("PYTEST_DB_SUFFIX", "")
    if suffix:
        _set_suffix_to_test_databases(suffix)


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker: pytest.FixtureDef,
    django_db_keepdb: bool,
    django_db_createdb: bool,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """The test database, always: pytest-django's own fixture creates it only when a collected
    test carries its ``django_db`` mark or ``db`` fixture, and ``committed_db`` is neither, so a
    module of committed tests run on its own would otherwise query the development database."""
    from django.test.utils import setup_databases, teardown_databases

    keepdb = django_db_keepdb and not django_db_createdb
    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=verbosity, interactive=False, keepdb=keepdb, aliases={"default"}
        )
    yield
    if keepdb:
        return
    with django_db_blocker.unblock():
        # Threads of the live server and of the concurrency tests may still hold a connection;
        # DROP DATABASE would refuse while they do. pg_terminate_backend only signals: wait until
        # they are gone.
        with connection.cursor() as cursor:
            for _ in range(100):
                cursor.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                if cursor.fetchone()[0] == 0:
                    break
                time.sleep(0.05)
        # This connection too: after Playwright's greenlets, ``connection`` here may be another
        # object than the one teardown_databases closes.
        connection.close()
        try:
            teardown_databases(config, verbosity=verbosity)
        except Exception as error:  # the next run drops and recreates it anyway
            request.node.warn(pytest.PytestWarning(f"test database not dropped: {error!r}"))


@pytest.fixture(autouse=True)
def _back_to_public_schema() -> Iterator[None]:
    yield
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    # Throttle counters and cached entries are keyed by schema name, which tests reuse.
    cache.clear()
    _hosts.invalidate()
    _api_keys.invalidate()


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


# Work that runs on threads of its own without a broker (common.coalescing.queue_task): a wallet
# update, a campaign's fan-out (an API test may send one), an automation's delivery.
BACKGROUND_THREAD_PREFIXES = ("wallet-", "messages-")


def settle_background_work(timeout: float = 30) -> None:
    """Let those threads finish before their merchant's schema is dropped under them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = [
            thread
            for thread in threading.enumerate()
            if thread.name.startswith(BACKGROUND_THREAD_PREFIXES)
        ]
        if not busy:
            return
        for thread in busy:
            thread.join(max(0.0, deadline - time.monotonic()))


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
        settle_background_work()
        connection.set_schema_to_public()
        for merchant in Merchant.objects.exclude(pk__in=before):
            purge_merchant(merchant=merchant)


@pytest.fixture
def committed_merchant(committed_db: None) -> Merchant:
    return _make("gamma")


class _BusyServer(ThreadedWSGIServer):
    # socketserver's default listen backlog is 5: thirty simultaneous clients would be reset.
    request_queue_size = 128


class _LiveServerThread(LiveServerThread):
    server_class = _BusyServer


@pytest.fixture(scope="session")
def live_server_url(django_db_setup: None, django_db_blocker: pytest.FixtureDef) -> Iterator[str]:
    """A real HTTP server (threaded WSGI) on 127.0.0.1, serving the project against the test DB.

    Reach a merchant with ``http://<slug>.localhost:<port>/`` (resolves to 127.0.0.1) or send the
    Host header yourself.
    """
    with django_db_blocker.unblock():
        thread = _LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        yield f"http://localhost:{thread.port}"
        thread.terminate()


@dataclass
class Loyalty:
    """A merchant set up like a real one: a stamps store, a points store and API keys."""

    merchant: Merchant
    stamps_store: Store
    points_store: Store
    stamps_program: LoyaltyProgram
    points_program: LoyaltyProgram
    key: str  # read and write, every store
    read_key: str  # read only
    stamps_store_key: str  # read and write, the stamps store only
    stamps_pin_id: int  # "Alice" at the stamps store, PIN STAMPS_PIN
    points_pin_id: int  # "Bob" at the points store, PIN POINTS_PIN

    def api(self, key: str | None = None, **headers: str) -> Client:
        """A client on the merchant's host sending ``Authorization: Bearer <key>``."""
        extra = {"HTTP_AUTHORIZATION": f"Bearer {key or self.key}"}
        extra.update({f"HTTP_{name.upper().replace('-', '_')}": v for name, v in headers.items()})
        return client_for(self.merchant, **extra)


def build_loyalty(merchant: Merchant) -> Loyalty:
    with schema_context(merchant.schema_name):
        stamps_store = create_store(name="Main Street", code="main")
        points_store = create_store(name="Bakery", code="bakery")
        stamps_program = create_program(
            store=stamps_store,
            loyalty_type="stamps",
            card_name="Coffee Card",
            stamps_target=10,
            stamps_reward_description="A free coffee",
        )
        points_program = create_program(
            store=points_store,
            loyalty_type="points",
            card_name="Bakery Points",
            points_per_euro=Decimal("1.50"),
            points_rewards=[
                {"id": "cake", "name": "A cake", "points_cost": 50},
                {"id": "tart", "name": "A tart", "points_cost": 120},
            ],
        )
        _k, key = create_api_key(name="Wizamart", scopes=["read", "write"])
        _k, read_key = create_api_key(name="Reports", scopes=["read"])
        _k, store_key = create_api_key(name="Till 1", scopes=["read", "write"], store=stamps_store)
        alice = create_staff_pin(store=stamps_store, name="Alice", pin=STAMPS_PIN)
        bob = create_staff_pin(store=points_store, name="Bob", pin=POINTS_PIN)
    connection.set_schema_to_public()
    return Loyalty(
        merchant,
        stamps_store,
        points_store,
        stamps_program,
        points_program,
        key,
        read_key,
        store_key,
        alice.pk,
        bob.pk,
    )


@pytest.fixture
def loyalty(merchant: Merchant) -> Loyalty:
    return build_loyalty(merchant)


@pytest.fixture
def other_loyalty(other_merchant: Merchant) -> Loyalty:
    return build_loyalty(other_merchant)


@pytest.fixture
def committed_loyalty(committed_merchant: Merchant) -> Loyalty:
    return build_loyalty(committed_merchant)
