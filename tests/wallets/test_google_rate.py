"""Google allows about 20 requests per second per issuer, and every merchant shares the platform's
issuer: whatever sends them (threads of one process, several worker processes), our requests
arrive at Google no faster than ``GOOGLE_WALLET_MAX_RPS`` (wallets/google/ratelimit.py).

Measured where Google would notice: the arrival times at the tests' stand-in for Google's REST API
(tests/wallets/google_standin.py, a thread of this process), over real HTTP. Across processes the
pace lives in the broker's Redis (``settings.TEST_CELERY_BROKER_URL`` when set, else database 12
of the local Redis); those tests are skipped when no Redis answers.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from cards.models import Customer, LoyaltyCard
from cards.numbers import new_card_number
from tests.celery_worker import build_app
from tests.conftest import Loyalty
from tests.wallets.conftest import GoogleAccountFiles
from tests.wallets.google_standin import GoogleStandIn, busiest_second
from tests.wallets.helpers import settle
from wallets.google import client
from wallets.google.client import Resource
from wallets.google.ratelimit import KEY_PREFIX
from wallets.models import WalletPass
from wallets.tasks import google_sync_cards_task

ROOT = Path(__file__).resolve().parents[2]
LOCAL_REDIS = "redis://127.0.0.1:6379/12"


def redis_url() -> str | None:
    """The Redis the pace is shared through, or None when there is none to test with."""
    url = settings.TEST_CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        return url
    try:
        redis.Redis.from_url(LOCAL_REDIS, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return None
    return LOCAL_REDIS


needs_redis = pytest.mark.skipif(
    redis_url() is None,
    reason="no Redis to share the pace through (CELERY_BROKER_URL unset and nothing answers on "
    "127.0.0.1:6379)",
)


def new_issuer() -> str:
    """An issuer id of this test's own: its pace starts empty, whatever ran before."""
    return "33880" + "".join(secrets.choice("0123456789") for _ in range(14))


def class_body(class_id: str) -> dict[str, Any]:
    """The smallest LoyaltyClass Google takes (the stand-in checks it against the schema)."""
    return {
        "id": class_id,
        "issuerName": "Pace Shop",
        "programName": "Pace card",
        "reviewStatus": "UNDER_REVIEW",
    }


def send_from_threads(issuer: str, *, threads: int, each: int) -> float:
    """``threads`` threads each inserting ``each`` classes through the client at once; returns
    the moment they started (time.monotonic)."""
    errors: list[BaseException] = []
    start = threading.Barrier(threads + 1)

    def sender(number: int) -> None:
        start.wait()
        try:
            for request in range(each):
                class_id = f"{issuer}.pace-{number}-{request}"
                client.insert(Resource("loyaltyClass", class_id, issuer), class_body(class_id))
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    workers = [threading.Thread(target=sender, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    started = time.monotonic()
    for worker in workers:
        worker.join(30)
    assert not errors, errors
    return started


def arrivals(standin: GoogleStandIn, kind: str = "loyaltyClass") -> list[float]:
    received = standin.requests(kind=kind)
    assert all(r.status == 200 for r in received), [r for r in received if r.status != 200]
    return sorted(r.at for r in received)


# --- One process: the pace in the process


def test_threads_of_one_process_keep_together_to_the_rate(
    google_wallet: GoogleStandIn, settings: Any
) -> None:
    settings.CELERY_BROKER_URL = ""  # no broker (development): the pace lives in the process
    settings.GOOGLE_WALLET_MAX_RPS = 20

    started = send_from_threads(new_issuer(), threads=8, each=5)

    arrived = arrivals(google_wallet)
    assert len(arrived) == 40
    # One more for the window's edges (an arrival a few milliseconds late opens a window).
    assert busiest_second(arrived) <= 20 + 1
    # 40 requests 50 ms apart: about 2 s from the first to the last, not much more.
    assert 39 / 20 * 0.95 <= arrived[-1] - arrived[0] <= 39 / 20 + 1.0
    assert arrived[0] - started < 0.5  # the first is not held back


# --- The pace in Redis


@pytest.fixture
def shared_pace(settings: Any) -> Iterator[redis.Redis]:
    """The pace in Redis, as with a Redis broker; the test's schedule keys removed after it."""
    url = redis_url()
    assert url is not None
    settings.CELERY_BROKER_URL = url
    store = redis.Redis.from_url(url)
    yield store
    for key in store.scan_iter(f"{KEY_PREFIX}33880*"):
        store.delete(key)


@needs_redis
def test_the_shared_pace_restarts_cleanly_after_its_key_expired(
    google_wallet: GoogleStandIn, settings: Any, shared_pace: redis.Redis
) -> None:
    settings.GOOGLE_WALLET_MAX_RPS = 20
    issuer = new_issuer()
    key = KEY_PREFIX + issuer

    send_from_threads(issuer, threads=1, each=1)
    assert shared_pace.exists(key)
    # Idle: the schedule is kept only a second past its last slot, then Redis drops it.
    deadline = time.monotonic() + 3
    while shared_pace.exists(key) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not shared_pace.exists(key)
    google_wallet.reset()

    # A burst after the idle spell: sent at once, and at the rate again.
    started = send_from_threads(issuer, threads=6, each=5)

    arrived = arrivals(google_wallet)
    assert len(arrived) == 30
    assert arrived[0] - started < 0.5
    assert busiest_second(arrived) <= 20 + 1
    assert 29 / 20 * 0.95 <= arrived[-1] - arrived[0] <= 29 / 20 + 1.0
    assert shared_pace.exists(key)


@needs_redis
def test_a_budget_of_zero_sends_without_waiting(
    google_wallet: GoogleStandIn, settings: Any, shared_pace: redis.Redis
) -> None:
    settings.GOOGLE_WALLET_MAX_RPS = 0
    issuer = new_issuer()

    send_from_threads(issuer, threads=8, each=10)

    arrived = arrivals(google_wallet)
    assert len(arrived) == 80
    # Paced at even 40 a second they would take two seconds; unpaced, a fraction of that (80
    # requests through the stand-in took 0.93 s on a busy 2-core machine, so no tighter bound).
    assert arrived[-1] - arrived[0] < 1.9
    assert not shared_pace.exists(KEY_PREFIX + issuer)  # no schedule kept


# --- Two real Celery workers (separate processes) sharing the pace through the broker's Redis

CARDS = 60
RATE = 20
BATCH = 5  # cards per task: twelve tasks for the two workers to share


def worker_database_url() -> str:
    """This run's test database, as the workers' DATABASE_URL (a socket directory, as the embedded
    server gives, goes in the query string)."""
    db = connection.settings_dict
    user = quote(db["USER"], safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    if host.startswith("/"):
        return f"postgres://{user}{password}@:{port}/{db['NAME']}?host={quote(host, safe='')}"
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def start_worker(name: str, queue: str, env: dict[str, str]) -> subprocess.Popen:
    # The project's worker (loyalty_saas.celery.app, as `celery -A loyalty_saas worker` runs it)
    # on this test's queue; results keep the name of the worker that ran the task.
    code = (
        "from loyalty_saas.celery import app; "
        f"app.conf.task_default_queue = {queue!r}; "
        "app.conf.result_extended = True; "
        f"app.worker_main(['worker', '-Q', {queue!r}, '-n', {name!r}, '--pool', 'solo', "
        "'--loglevel', 'WARNING', '--without-gossip', '--without-mingle', '--without-heartbeat'])"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop_worker(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)  # warm shutdown: the task in hand finishes
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def wait_for(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


@pytest.fixture
def two_workers(
    committed_loyalty: Loyalty,
    google_standin: tuple[GoogleStandIn, GoogleAccountFiles],
    django_db_blocker: pytest.FixtureDef,
) -> Iterator[tuple[Celery, str]]:
    """Two worker processes of the project's Celery app, on a queue of this test's own in the
    broker's Redis, with Google Wallet on against the stand-in at ``RATE`` requests a second.
    Yields the app to queue with and the issuer id they use."""
    url = redis_url()
    if url is None:
        pytest.skip("no Redis broker for the workers")
    standin, files = google_standin
    standin.reset()
    issuer = new_issuer()
    queue = f"loyalty-test-google-rate-{os.getpid()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "loyalty_saas.settings.base",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": url,
        "CELERY_RESULT_BACKEND": url,
        "CACHE_URL": "locmemcache://",
        "GOOGLE_WALLET_ISSUER_ID": issuer,
        "GOOGLE_WALLET_CREDENTIALS_FILE": str(files.credentials_file),
        "GOOGLE_WALLET_API_URL": standin.url,
        "GOOGLE_WALLET_MAX_RPS": str(RATE),
    }
    app = build_app(
        broker_url=url, result_backend=url, task_default_queue=queue, result_extended=True
    )
    names = [f"google-rate-{n}-{os.getpid()}@localhost" for n in (1, 2)]
    processes = [start_worker(name, queue, env) for name in names]
    try:

        def both_up() -> bool:
            replies = app.control.ping(destination=names, timeout=0.5)
            return {name for reply in replies for name in reply} == set(names)

        with django_db_blocker.unblock():
            assert wait_for(both_up, timeout=30), "the two workers did not start"
            yield app, issuer
    finally:
        for process in processes:
            stop_worker(process)
        with app.connection_for_write() as broker:
            broker.default_channel.queue_purge(queue)
        store = redis.Redis.from_url(url)
        store.delete(KEY_PREFIX + issuer)


def add_cards(loyalty: Loyalty, count: int) -> list[int]:
    """Cards without an announcement (bulk insert): only the tasks below sync them."""
    with schema_context(loyalty.merchant.schema_name):
        store, program = loyalty.stamps_store, loyalty.stamps_program
        customers = Customer.objects.bulk_create(
            [
                Customer(name=f"C{n}", email=f"c{n}@rate.example", enrolled_store=store)
                for n in range(count)
            ]
        )
        numbers: set[str] = set()
        while len(numbers) < count:
            numbers.add(new_card_number())
        cards = LoyaltyCard.objects.bulk_create(
            [
                LoyaltyCard(customer=c, program=program, store=store, card_number=n, qr_code_data=n)
                for c, n in zip(customers, numbers, strict=True)
            ]
        )
        return [card.pk for card in cards]


@needs_redis
@pytest.mark.usefixtures("committed_db")
def test_two_worker_processes_together_keep_to_the_rate(
    committed_loyalty: Loyalty,
    two_workers: tuple[Celery, str],
    google_standin: tuple[GoogleStandIn, GoogleAccountFiles],
) -> None:
    app, _issuer = two_workers
    standin, _files = google_standin
    card_ids = add_cards(committed_loyalty, CARDS)
    task = app.tasks[google_sync_cards_task.name]
    # The merchant's set-up queued its programmes' class syncs on threads of this process (no
    # broker here). Celery marks "a join would block" for the whole process while such a thread
    # runs a task eagerly, and result.get() below would then refuse: let them finish first.
    settle()

    with schema_context(committed_loyalty.merchant.schema_name):
        results = [
            task.apply_async(kwargs={"card_ids": card_ids[n : n + BATCH]})
            for n in range(0, CARDS, BATCH)
        ]
    reports = [result.get(timeout=60) for result in results]

    assert sum(report["inserted"] for report in reports) == CARDS
    workers = {result.worker for result in results}
    assert len(workers) == 2, f"one worker did all the work: {workers}"
    inserts = standin.requests(kind="loyaltyObject", method="POST")
    assert len({r.body["id"] for r in inserts}) == CARDS
    with schema_context(committed_loyalty.merchant.schema_name):
        assert WalletPass.objects.filter(card_id__in=card_ids).exclude(
            google_object={}
        ).count() == (CARDS)
    # Every request of both workers (the class and the 60 objects) kept to one shared pace.
    arrived = arrivals(standin, kind="loyaltyObject") + arrivals(standin, kind="loyaltyClass")
    assert busiest_second(arrived) <= RATE + 1
    spread = max(arrived) - min(arrived)
    assert spread >= (len(arrived) - 1) / RATE * 0.95, spread
