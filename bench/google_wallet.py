#!/usr/bin/env python
"""Google Wallet: objects synced per second, the rate held under the budget, and how soon a stamp
reaches Google.

Generates a service account, starts the stand-in for Google's REST API and OAuth token endpoint
(tests/wallets/google_standin.py), creates a bench merchant on the configured database and prints
three figures (issue 11):

1. LoyaltyObject inserts, then patches, per second for 5,000 cards through the sync service
   (``sync_cards``: the card read under its lock, the body built, the changed fields sent, Google's
   answer recorded) at an unlimited budget (GOOGLE_WALLET_MAX_RPS=0), against the stand-in in a
   process of its own in ``--count-only`` mode (it still checks the access token, answers 200 and
   stores nothing), from one process and with the cards split between ``--senders`` processes as
   the worker's 500-card tasks share a programme change. What the sync costs, not Google's pace;
2. the rate actually held under GOOGLE_WALLET_MAX_RPS (15 by default) with a real Celery worker
   of ``--workers`` prefork processes on the Redis broker syncing ``--rate-cards`` cards (tasks of
   10 cards): requests per second achieved and the most in any 1-second window, at the stand-in
   running in this process (arrival times on this process's clock);
3. the time from a stamp's commit (the engine's after-commit announcement) to its patch arriving
   at that stand-in, over ``--stamps`` stamps on different cards through the vendor API, one every
   ``--stamp-interval`` seconds (under the budget); target p95 <= 2 s. It includes the coalescing
   window (GOOGLE_WALLET_COALESCE_SECONDS, 0.5 s by default).

The bench merchant is dropped at the end.

    .venv/bin/python bench/google_wallet.py [--cards 5000] [--senders N] [--workers 4]
        [--rate-cards 300] [--stamps 100] [--stamp-interval 0.2]
        [--broker redis://127.0.0.1:6379/13] [--only throughput|rate|latency]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives import serialization  # noqa: E402

from tests.wallets.google_standin import (  # noqa: E402 (no Django needed)
    GoogleStandIn,
    busiest_second,
    service_account_info,
    service_account_key,
)

SLUG = "bench-google"
PIN = "2468"
ISSUER_ID = "3388000000099000001"
RATE_BATCH = 10  # cards per task in figure 2


def start_count_only_standin(folder: Path, key: Any) -> tuple[subprocess.Popen, str]:
    public = folder / "public.pem"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.wallets.google_standin",
            "--public-key",
            str(public),
            "--count-only",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def write_account(path: Path, key: Any, token_uri: str) -> Path:
    path.write_text(json.dumps(service_account_info(key, token_uri=token_uri)))
    return path


def stop(process: subprocess.Popen) -> None:
    try:
        process.terminate()  # the main process: a Celery worker then stops its children itself
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=5000, help="figure 1's cards")
    parser.add_argument(
        "--senders",
        type=int,
        default=os.cpu_count() or 1,
        help="figure 1 again with the cards split between N processes (default: the number of "
        "cores; 1: not measured)",
    )
    parser.add_argument("--workers", type=int, default=4, help="figure 2's worker processes")
    parser.add_argument("--rate-cards", type=int, default=300, help="figure 2's cards")
    parser.add_argument("--stamps", type=int, default=100)
    parser.add_argument("--stamp-interval", type=float, default=0.2)
    parser.add_argument(
        "--only",
        choices=["throughput", "rate", "latency"],
        action="append",
        help="measure only this figure (repeatable); all three by default (latency needs rate)",
    )
    parser.add_argument(
        "--broker",
        default=os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/13",
    )
    options = parser.parse_args()
    if options.stamps > options.rate_cards:
        parser.error("--stamps must not exceed --rate-cards (the stamps go to those cards)")

    folder = Path(tempfile.mkdtemp(prefix="bench-google-"))
    key = service_account_key()
    count_standin, count_url = start_count_only_standin(folder, key)
    # Figures 2 and 3: the stand-in in this process, recording arrival times.
    standin = GoogleStandIn(public_key=key.public_key()).start()
    accounts = {
        "count": write_account(folder / "count-account.json", key, count_url + "token"),
        "local": write_account(folder / "local-account.json", key, standin.token_uri),
    }
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "loyalty_saas.settings.base",
            "DEBUG": "false",  # DEBUG keeps every query in memory: never benchmark with it
            "LOG_LEVEL": "WARNING",
            "GOOGLE_WALLET_ISSUER_ID": ISSUER_ID,
            "GOOGLE_WALLET_CREDENTIALS_FILE": str(accounts["local"]),
            "GOOGLE_WALLET_API_URL": standin.url,
            "CELERY_BROKER_URL": options.broker,
        }
    )
    try:
        run(options, standin, count_url, accounts, count_standin.pid)
    finally:
        stop(count_standin)
        standin.stop()


def run(
    options: argparse.Namespace,
    standin: GoogleStandIn,
    count_url: str,
    accounts: dict[str, Path],
    count_standin_pid: int,
) -> None:
    import django

    django.setup()

    from loyalty_saas.celery import app

    # This run's own queue, set before anything is queued: a worker of someone else on the same
    # Redis must not take these tasks.
    queue_name = f"bench-google-{os.getpid()}"
    app.conf.task_default_queue = queue_name

    from django.conf import settings
    from django.db import connection
    from django.db.models import F
    from django_tenants.utils import schema_context

    from cards.models import Customer, LoyaltyCard
    from cards.numbers import new_card_number
    from merchants.models import Merchant
    from merchants.services import MerchantSignup, create_merchant, purge_merchant
    from programs.services import create_program, create_store
    from staff.services import create_api_key, create_staff_pin
    from wallets.google import client
    from wallets.google.sync import sync_cards
    from wallets.models import GoogleClass

    wanted = set(options.only or ["throughput", "rate", "latency"])
    existing = Merchant.objects.filter(schema_name=SLUG).first()
    if existing:
        purge_merchant(merchant=existing)
    cards_needed = options.cards + options.rate_cards
    print(f"setting up {cards_needed} cards …", flush=True)
    merchant = create_merchant(
        signup=MerchantSignup(
            name="Bench Google",
            slug=SLUG,
            email="bench@google.example",
            password="a bench passphrase 2026",
        )
    )
    connection.set_schema_to_public()
    try:
        with schema_context(SLUG):
            store = create_store(name="Bench", code="bench")
            program = create_program(
                store=store, loyalty_type="stamps", card_name="Bench", stamps_target=10
            )
            pin = create_staff_pin(store=store, name="Cashier", pin=PIN)
            _key, api_key = create_api_key(name="Bench", scopes=["read", "write"])
            customers = Customer.objects.bulk_create(
                [
                    Customer(name=f"C{i}", email=f"c{i}@bench.example", enrolled_store=store)
                    for i in range(cards_needed)
                ],
                batch_size=5000,
            )
            numbers: set[str] = set()
            while len(numbers) < cards_needed:
                numbers.add(new_card_number())
            # Bulk inserted: no announcement, only the figures below sync them.
            cards = LoyaltyCard.objects.bulk_create(
                [
                    LoyaltyCard(
                        customer=c, program=program, store=store, card_number=n, qr_code_data=n
                    )
                    for c, n in zip(customers, numbers, strict=True)
                ],
                batch_size=5000,
            )
        connection.set_schema_to_public()
        # The programme's creation queued its class sync: drop it (figure 2 starts clean).
        time.sleep(settings.GOOGLE_WALLET_COALESCE_SECONDS + 0.5)
        with app.connection_for_write() as broker:
            broker.default_channel.queue_purge(queue_name)
        budget = settings.GOOGLE_WALLET_MAX_RPS

        if "throughput" in wanted:
            settings.GOOGLE_WALLET_MAX_RPS = 0
            settings.GOOGLE_WALLET_API_URL = count_url
            settings.GOOGLE_WALLET_CREDENTIALS_FILE = str(accounts["count"])
            card_ids = [card.pk for card in cards[: options.cards]]
            with schema_context(SLUG):
                sync_cards(card_ids[:100])  # warm-up: the class, the token, the connection
                for phase in ("inserts", "patches"):
                    if phase == "patches":
                        LoyaltyCard.objects.filter(pk__in=card_ids).update(
                            stamp_count=F("stamp_count") + 1
                        )
                    todo = card_ids[100:] if phase == "inserts" else card_ids
                    standin_cpu = cpu_seconds(count_standin_pid)
                    started, cpu_started = time.perf_counter(), time.process_time()
                    report = sync_cards(todo)
                    elapsed = time.perf_counter() - started
                    cpu = time.process_time() - cpu_started
                    standin_cpu = cpu_seconds(count_standin_pid) - standin_cpu
                    done = report.inserted if phase == "inserts" else report.patched
                    print(
                        f"1. object {phase} through the sync service, one process, budget "
                        f"unlimited: {done / elapsed:.0f}/s ({done} of {len(todo)} cards in "
                        f"{elapsed:.2f} s; CPU per card {cpu / len(todo) * 1000:.2f} ms here, "
                        f"{standin_cpu / len(todo) * 1000:.2f} ms in the stand-in)",
                        flush=True,
                    )
            client.close()
            if options.senders > 1:
                with schema_context(SLUG):
                    LoyaltyCard.objects.filter(pk__in=card_ids).update(
                        stamp_count=F("stamp_count") + 1
                    )
                rate, per_process, patched, elapsed = measure_parallel(card_ids, options.senders)
                print(
                    f"1. object patches with the {len(card_ids)} cards split between "
                    f"{options.senders} processes, budget unlimited: {rate:.0f}/s in all "
                    f"({patched} in {elapsed:.2f} s; per process "
                    f"{', '.join(f'{r:.0f}/s' for r in per_process)})",
                    flush=True,
                )
            settings.GOOGLE_WALLET_MAX_RPS = budget
            settings.GOOGLE_WALLET_API_URL = os.environ["GOOGLE_WALLET_API_URL"]
            settings.GOOGLE_WALLET_CREDENTIALS_FILE = os.environ["GOOGLE_WALLET_CREDENTIALS_FILE"]

        if wanted & {"rate", "latency"}:
            with schema_context(SLUG):
                GoogleClass.objects.all().delete()  # the stand-in here has no class yet
            measure_rate_and_latency(
                options,
                queue_name=queue_name,
                standin=standin,
                budget=budget,
                host=merchant.primary_host,
                api_key=api_key,
                pin_id=pin.pk,
                cards=cards[options.cards :],
                wanted=wanted,
            )
    finally:
        connection.close()
        connection.set_schema_to_public()
        purge_merchant(merchant=Merchant.objects.get(schema_name=SLUG))


def _sender(
    card_ids: list[int], ready: Any, go: Any, results: Any
) -> None:  # pragma: no cover (a forked process)
    from django.db import connections
    from django_tenants.utils import schema_context

    from wallets.google import client
    from wallets.google.sync import sync_cards

    connections.close_all()  # the parent's connections are not ours to use
    client.close()
    with schema_context(SLUG):
        ready.wait()
        go.wait()
        started = time.perf_counter()
        report = sync_cards(card_ids)
        ended = time.perf_counter()
    results.put((report.patched, started, ended))


def measure_parallel(card_ids: list[int], senders: int) -> tuple[float, list[float], int, float]:
    """The cards split between ``senders`` forked processes syncing at once. Returns the total
    rate, each process's rate, the patches sent and the elapsed time."""
    import multiprocessing

    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    ready, go = context.Barrier(senders + 1), context.Event()
    results = context.Queue()
    processes = [
        context.Process(target=_sender, args=(card_ids[n::senders], ready, go, results))
        for n in range(senders)
    ]
    for process in processes:
        process.start()
    ready.wait(timeout=60)
    go.set()
    measured = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join(30)
    patched = sum(m[0] for m in measured)
    elapsed = max(m[2] for m in measured) - min(m[1] for m in measured)
    return patched / elapsed, [m[0] / (m[2] - m[1]) for m in measured], patched, elapsed


def measure_rate_and_latency(
    options: argparse.Namespace,
    *,
    queue_name: str,
    standin: GoogleStandIn,
    budget: float,
    host: str,
    api_key: str,
    pin_id: int,
    cards: list,
    wanted: set[str],
) -> None:
    from django.conf import settings
    from django.test import Client
    from django_tenants.utils import schema_context

    from cards.signals import card_changed
    from loyalty_saas.celery import app
    from wallets.models import WalletPass
    from wallets.tasks import google_sync_cards_task

    hostname = f"bench-google-{os.getpid()}@localhost"
    # The project's worker, on this run's queue (tasks it queues itself go there too).
    worker_code = (
        "from loyalty_saas.celery import app; "
        f"app.conf.task_default_queue = {queue_name!r}; "
        f"app.worker_main(['worker', '-Q', {queue_name!r}, '-n', {hostname!r}, "
        f"'--concurrency', '{options.workers}', '--loglevel', 'WARNING', '--without-gossip', "
        "'--without-mingle', '--without-heartbeat'])"
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", worker_code],
        cwd=ROOT,
        env=os.environ,
        stdout=subprocess.DEVNULL,  # its banner
        start_new_session=True,
    )
    try:
        deadline = time.time() + 60
        while not app.control.ping(destination=[hostname], timeout=0.5):
            if time.time() > deadline:
                raise RuntimeError("the worker did not start")
        standin.reset()

        # 2. The rate held: every card's object inserted by the worker's processes at once.
        card_ids = [card.pk for card in cards]
        with schema_context(SLUG):
            results = [
                google_sync_cards_task.apply_async(
                    kwargs={"card_ids": card_ids[n : n + RATE_BATCH]}
                )
                for n in range(0, len(card_ids), RATE_BATCH)
            ]
        reports = [result.get(timeout=600) for result in results]
        received = standin.requests()
        arrived = sorted(r.at for r in received)
        inserted = sum(report["inserted"] for report in reports)
        achieved = (len(arrived) - 1) / (arrived[-1] - arrived[0])
        refused = sum(1 for r in received if r.status >= 400)
        print(
            f"2. rate held with GOOGLE_WALLET_MAX_RPS={budget:g}, a worker of {options.workers} "
            f"prefork processes (broker {options.broker.split('@')[-1]}): {achieved:.2f} "
            f"requests/s achieved, at most {busiest_second(arrived)} in any 1-second window; "
            f"{len(arrived)} requests ({inserted} objects inserted, the class, {refused} refused) "
            f"over {arrived[-1] - arrived[0]:.1f} s",
            flush=True,
        )
        if "latency" not in wanted:
            return

        # 3. Commit to patch arrival, stamps spread under the budget.
        with schema_context(SLUG):
            object_of = dict(
                WalletPass.objects.filter(card_id__in=card_ids).values_list(
                    "google_object_id", "card_id"
                )
            )
        committed: dict[int, float] = {}

        def on_commit(sender: type, *, card_id: int, **kwargs: object) -> None:
            committed.setdefault(card_id, time.monotonic())

        card_changed.connect(on_commit, weak=False)
        since = time.monotonic()
        stamped = cards[: options.stamps]
        http = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {api_key}")
        try:
            for card in stamped:
                response = http.post(
                    "/api/v1/vendor/loyalty/stamp",
                    {"card_number": card.card_number, "staff_pin_id": pin_id, "pin": PIN},
                    content_type="application/json",
                )
                assert response.status_code == 201, response.content
                time.sleep(options.stamp_interval)
            arrivals: dict[int, float] = {}
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                for request in standin.requests(kind="loyaltyObject", method="PATCH"):
                    card_id = object_of.get(request.resource_id or "")
                    if card_id is not None and request.at > since:
                        arrivals.setdefault(card_id, request.at)
                if all(card.pk in arrivals for card in stamped):
                    break
                time.sleep(0.05)
        finally:
            card_changed.disconnect(on_commit)
        missing = [card for card in stamped if card.pk not in arrivals]
        if missing:
            print(f"3. {len(missing)} patches never arrived", flush=True)
        latency = sorted(
            arrivals[card.pk] - committed[card.pk] for card in stamped if card not in missing
        )
        p95 = latency[min(len(latency) - 1, int(len(latency) * 0.95))]
        print(
            f"3. stamp commit to patch arrival (a stamp every {options.stamp_interval} s, "
            f"budget {budget:g}/s, window {settings.GOOGLE_WALLET_COALESCE_SECONDS} s, "
            f"{options.workers} worker processes): p50 {statistics.median(latency):.3f} s, "
            f"p95 {p95:.3f} s, max {latency[-1]:.3f} s over {len(latency)} stamps; "
            f"target p95 <= 2 s: {'OK' if p95 <= 2 else 'MISSED'}",
            flush=True,
        )
    finally:
        stop(worker)


if __name__ == "__main__":
    main()
