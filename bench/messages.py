#!/usr/bin/env python
"""Lock-screen messages: a campaign fanned out to 50,000 cards against the wallets' stand-ins, and
the counter's stamp latency while it runs.

Generates a development certificate chain and a Google service account, starts the APNs stand-in
(HTTP/2, TLS, client certificate checked) and the Google Wallet stand-in, each in a process of its
own in ``--count-only`` mode (they check credentials and answer 200, recording nothing), creates a
bench merchant with ``--cards`` cards (every customer consenting; a share with an Apple device, a
share with a Google object), serves it with gunicorn, and runs the project's Celery worker on the
Redis broker. Then:

1. the counter idle: one cashier stamping distinct cards through the vendor API, one stamp every
   ``--stamp-interval`` seconds, for ``--idle-seconds``: p50 and p99;
2. a campaign to everyone, sent through the service the back office and the API call: the time
   from sending to the last delivery decided (fan-out into delivery rows, batches of 500 through
   the budget, APNs pushes and Google addMessage requests), with the same cashier stamping
   throughout: p50 and p99 during the fan-out, and their ratio to the idle figures (target:
   p99 within 20 %).

Google's pace: GOOGLE_WALLET_MAX_RPS applies (``--google-rps``, default 0 = unpaced: the stand-in's
throughput). At the production pace of 15 requests/s per issuer, Google's share of a campaign
takes objects / 15 seconds; the bench prints that figure too.

The worker runs with ``nice`` (``--worker-nice``): on one 2-core machine it stands for the worker
machines of a deployment, which never take the web servers' CPU. The bench merchant is dropped at
the end.

    .venv/bin/python bench/messages.py [--cards 50000] [--apple 0.5] [--google 0.5]
        [--idle-seconds 20] [--stamp-interval 0.05] [--workers 2] [--worker-nice 10]
        [--google-rps 0] [--broker redis://127.0.0.1:6379/14]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives import serialization  # noqa: E402

from tests.wallets.google_standin import (  # noqa: E402 (no Django needed)
    service_account_info,
    service_account_key,
)
from wallets.apple.dev_certs import make_chain  # noqa: E402

SLUG = "bench-messages"
PIN = "2468"
ISSUER_ID = "3388000000099000002"
PASS_TYPE_ID = "pass.localhost.loyalty.dev"


def start(command: list[str]) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its living descendants (Linux)."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += cpu_seconds(int(child))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


def postgres_cpu_seconds() -> float:
    """CPU time of every PostgreSQL process on this machine (the server is shared by all)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


class Cashier(threading.Thread):
    """One till: a stamp on the next card every ``interval`` seconds, each timed."""

    def __init__(
        self, *, port: int, host: str, key: str, pin_id: int, numbers: list[str], interval: float
    ) -> None:
        super().__init__(daemon=True)
        self.port, self.host, self.key, self.pin_id = port, host, key, pin_id
        self.numbers, self.interval = numbers, interval
        self.latencies: list[float] = []
        self.failures: dict[str, int] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {
            "Host": self.host,
            "Authorization": f"Bearer {self.key}",
            "Content-Type": "application/json",
        }
        for number in self.numbers:
            if self.stopping.is_set():
                break
            body = json.dumps({"card_number": number, "staff_pin_id": self.pin_id, "pin": PIN})
            began = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/vendor/loyalty/stamp", body, headers)
                response = conn.getresponse()
                response.read()
                status = str(response.status)
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            elapsed = time.perf_counter() - began
            if status == "201":
                self.latencies.append(elapsed)
            else:
                self.failures[status] = self.failures.get(status, 0) + 1
            time.sleep(max(0.0, self.interval - elapsed))
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=50_000)
    parser.add_argument("--apple", type=float, default=0.5, help="share of cards on Apple Wallet")
    parser.add_argument("--google", type=float, default=0.5, help="share on Google Wallet")
    parser.add_argument("--idle-seconds", type=float, default=20)
    parser.add_argument("--stamp-interval", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=2, help="the Celery worker's processes")
    parser.add_argument("--worker-nice", type=int, default=10)
    parser.add_argument("--google-rps", type=float, default=0)
    parser.add_argument(
        "--broker", default=os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/14"
    )
    options = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-messages-"))
    chain = make_chain(pass_type_id=PASS_TYPE_ID, team_id="DEVTEAM000")
    files = chain.write(folder / "chain", key_password="bench key passphrase")
    apns, apns_line = start(
        [
            sys.executable,
            "-m",
            "tests.wallets.apns_standin",
            "--folder",
            str(folder / "apns"),
            "--client-ca",
            str(files["ROOT_CERT_FILE"]),
            "--client-ca",
            str(files["APPLE_WWDR_CERT_FILE"]),
            "--count-only",
        ]
    )
    apns_started = json.loads(apns_line)
    key = service_account_key()
    public = folder / "google-public.pem"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    google, google_url = start(
        [
            sys.executable,
            "-m",
            "tests.wallets.google_standin",
            "--public-key",
            str(public),
            "--count-only",
        ]
    )
    account = folder / "google-account.json"
    account.write_text(json.dumps(service_account_info(key, token_uri=google_url + "token")))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "loyalty_saas.settings.base",
            "DEBUG": "false",  # DEBUG keeps every query in memory: never benchmark with it
            "LOG_LEVEL": "WARNING",
            "APPLE_PASS_TYPE_ID": PASS_TYPE_ID,
            "APPLE_TEAM_ID": "DEVTEAM000",
            "APPLE_PASS_CERT_FILE": str(files["APPLE_PASS_CERT_FILE"]),
            "APPLE_PASS_KEY_FILE": str(files["APPLE_PASS_KEY_FILE"]),
            "APPLE_PASS_KEY_PASSWORD": "bench key passphrase",
            "APPLE_WWDR_CERT_FILE": str(files["APPLE_WWDR_CERT_FILE"]),
            "APNS_URL": apns_started["url"],
            "APNS_CA_FILE": apns_started["ca_file"],
            "GOOGLE_WALLET_ISSUER_ID": ISSUER_ID,
            "GOOGLE_WALLET_CREDENTIALS_FILE": str(account),
            "GOOGLE_WALLET_API_URL": google_url,
            "GOOGLE_WALLET_MAX_RPS": str(options.google_rps),
            "CELERY_BROKER_URL": options.broker,
        }
    )
    try:
        run(options, apns_pid=apns.pid, google_pid=google.pid)
    finally:
        stop(apns)
        stop(google)


def set_up(options: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from django_tenants.utils import schema_context

    from cards.models import Customer, LoyaltyCard
    from cards.numbers import new_card_number
    from merchants.models import Merchant
    from merchants.services import MerchantSignup, create_merchant, purge_merchant
    from messaging.models import MessagingSettings
    from programs.services import create_program, create_store
    from staff.services import create_api_key, create_staff_pin
    from wallets.models import AppleRegistration, WalletPass

    existing = Merchant.objects.filter(schema_name=SLUG).first()
    if existing:
        purge_merchant(merchant=existing)
    merchant = create_merchant(
        signup=MerchantSignup(
            name="Bench Messages",
            slug=SLUG,
            email="bench@messages.example",
            password="a bench passphrase 2026",
        )
    )
    connection.set_schema_to_public()
    count = options.cards
    with schema_context(SLUG):
        store = create_store(name="Bench", code="bench", timezone="UTC")
        program = create_program(
            store=store, loyalty_type="stamps", card_name="Bench", stamps_target=10
        )
        pin = create_staff_pin(store=store, name="Cashier", pin=PIN)
        # No quiet hours: the bench measures the fan-out whatever the time of day it runs.
        MessagingSettings.objects.create(quiet_start=dt.time(0, 0), quiet_end=dt.time(0, 0))
        _key, api_key = create_api_key(name="Bench", scopes=["read", "write"])
        customers = Customer.objects.bulk_create(
            [
                Customer(
                    name=f"C{i}",
                    email=f"c{i}@bench.example",
                    enrolled_store=store,
                    locale=("en", "fr", "de", "lb")[i % 4],
                    marketing_consent=True,
                )
                for i in range(count)
            ],
            batch_size=5000,
        )
        numbers: set[str] = set()
        while len(numbers) < count:
            numbers.add(new_card_number())
        cards = LoyaltyCard.objects.bulk_create(
            [
                LoyaltyCard(customer=c, program=program, store=store, card_number=n, qr_code_data=n)
                for c, n in zip(customers, sorted(numbers), strict=True)
            ],
            batch_size=5000,
        )
        # Passes: the first share of cards on Apple (a device each), the last share on Google
        # (an object at Google), the overlap on both.
        apple_until = int(count * options.apple)
        google_from = count - int(count * options.google)
        passes = WalletPass.objects.bulk_create(
            [
                WalletPass(
                    card=card,
                    google_object_id=f"{ISSUER_ID}.bench-{card.pk}" if i >= google_from else "",
                    google_object={"id": f"{ISSUER_ID}.bench-{card.pk}"}
                    if i >= google_from
                    else {},
                )
                for i, card in enumerate(cards)
            ],
            batch_size=5000,
        )
        AppleRegistration.objects.bulk_create(
            [
                AppleRegistration(
                    wallet_pass=wallet_pass,
                    device_library_id=f"device{i:08d}",
                    push_token=f"{i:064x}",
                )
                for i, wallet_pass in enumerate(passes[:apple_until])
            ],
            batch_size=5000,
        )
    connection.set_schema_to_public()
    return {
        "host": merchant.primary_host,
        "key": api_key,
        "pin_id": pin.pk,
        "numbers": sorted(numbers),
        "apple": apple_until,
        "google": count - google_from,
    }


def run(options: argparse.Namespace, *, apns_pid: int, google_pid: int) -> None:
    import django

    django.setup()

    from django.db import connection
    from django_tenants.utils import schema_context

    from loyalty_saas.celery import app
    from merchants.models import Merchant
    from merchants.services import purge_merchant

    # This process's tasks (the campaign) go to a queue of this run's own; gunicorn's (the
    # stamps' wallet updates) to the default queue of this bench's broker database, which the
    # worker consumes too.
    queue_name = f"bench-messages-{os.getpid()}"
    app.conf.task_default_queue = queue_name
    with app.connection_for_write() as broker:
        broker.default_channel.queue_purge("celery")

    print(f"setting up {options.cards} cards …", flush=True)
    started = time.perf_counter()
    setup = set_up(options)
    print(f"  set up in {time.perf_counter() - started:.0f} s", flush=True)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_CONN_MAX_AGE": "600",
        "PUBLIC_PORT": str(port),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "loyalty_saas.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    hostname = f"bench-messages-{os.getpid()}@localhost"
    worker_code = (
        "from loyalty_saas.celery import app; "
        f"app.conf.task_default_queue = {queue_name!r}; "
        f"app.worker_main(['worker', '-Q', {queue_name + ',celery'!r}, '-n', {hostname!r}, "
        f"'--concurrency', '{options.workers}', '--loglevel', 'WARNING', '--without-gossip', "
        "'--without-mingle', '--without-heartbeat'])"
    )
    worker = subprocess.Popen(
        ["nice", "-n", str(options.worker_nice), sys.executable, "-c", worker_code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 60
        while not app.control.ping(destination=[hostname], timeout=0.5):
            if time.time() > deadline:
                raise RuntimeError("the worker did not start")
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        time.sleep(1.0)
        numbers = setup["numbers"]
        half = len(numbers) // 2

        def cashier(cards: list[str]) -> Cashier:
            return Cashier(
                port=port,
                host=setup["host"],
                key=setup["key"],
                pin_id=setup["pin_id"],
                numbers=cards,
                interval=options.stamp_interval,
            )

        # Warm-up: every gunicorn worker has its connections and caches.
        warm = cashier(numbers[-40:])
        warm.interval = 0
        warm.start()
        warm.join()

        idle = cashier(numbers[:half])
        idle.start()
        time.sleep(options.idle_seconds)
        idle.stopping.set()
        idle.join()

        from messaging.models import Delivery, Message
        from messaging.services import create_campaign

        busy = cashier(numbers[half:-40])
        worker_cpu = cpu_seconds(worker.pid)
        apns_cpu, google_cpu = cpu_seconds(apns_pid), cpu_seconds(google_pid)
        database_cpu, server_cpu = postgres_cpu_seconds(), cpu_seconds(server.pid)
        busy.start()
        sent_at = time.perf_counter()
        with schema_context(SLUG):
            message = create_campaign(
                name="Bench",
                texts={
                    "en": {"text": "Double stamps this Saturday!"},
                    "fr": {"text": "Tampons doublés ce samedi !"},
                },
                send=True,
            )
            while True:
                time.sleep(0.5)
                message.refresh_from_db()
                if message.status == "sent" or time.perf_counter() - sent_at > 3600:
                    break
            fanout = time.perf_counter() - sent_at
            busy.stopping.set()
            busy.join()
            counts: dict[str, int] = {}
            for status, apple, google in Delivery.objects.filter(message=message).values_list(
                "status", "apple", "google"
            ):
                counts[status] = counts.get(status, 0) + 1
                counts[f"apple:{apple}"] = counts.get(f"apple:{apple}", 0) + 1
                counts[f"google:{google}"] = counts.get(f"google:{google}", 0) + 1
            final = Message.objects.get(pk=message.pk).status
        worker_cpu = cpu_seconds(worker.pid) - worker_cpu
        apns_cpu = cpu_seconds(apns_pid) - apns_cpu
        google_cpu = cpu_seconds(google_pid) - google_cpu
        database_cpu = postgres_cpu_seconds() - database_cpu
        server_cpu = cpu_seconds(server.pid) - server_cpu
    finally:
        for process in (server, worker):
            stop(process)
        connection.close()
        connection.set_schema_to_public()
        purge_merchant(merchant=Merchant.objects.get(schema_name=SLUG))

    idle_p50, idle_p99 = percentile(idle.latencies, 0.5), percentile(idle.latencies, 0.99)
    busy_p50, busy_p99 = percentile(busy.latencies, 0.5), percentile(busy.latencies, 0.99)
    google_sent = counts.get("google:sent", 0)
    print(
        f"cards: {options.cards} ({setup['apple']} with an Apple device, {setup['google']} with "
        f"a Google object); campaign {final}"
    )
    print(
        f"fan-out: {fanout:.1f} s from sending to the last delivery decided "
        f"({options.cards / fanout:.0f} cards/s); deliveries: "
        + ", ".join(f"{name} {value}" for name, value in sorted(counts.items()))
    )
    print(
        f"  CPU during it: worker {worker_cpu:.1f} s ({worker_cpu / options.cards * 1000:.2f} ms "
        f"per card), PostgreSQL {database_cpu:.1f} s (all its processes), gunicorn "
        f"{server_cpu:.1f} s, stand-ins APNs {apns_cpu:.1f} s, Google {google_cpu:.1f} s; "
        f"Google paced at "
        f"{options.google_rps:g} requests/s (0: unpaced); at the production pace of 15/s its "
        f"{google_sent} messages would take {google_sent / 15 / 60:.0f} min"
    )
    print(
        f"stamps idle: {len(idle.latencies)}, p50 {idle_p50 * 1000:.1f} ms, "
        f"p99 {idle_p99 * 1000:.1f} ms"
    )
    print(
        f"stamps during the fan-out: {len(busy.latencies)}, p50 {busy_p50 * 1000:.1f} ms, "
        f"p99 {busy_p99 * 1000:.1f} ms; p99 ratio to idle {busy_p99 / idle_p99:.2f} "
        f"(target <= 1.20), p50 ratio {busy_p50 / idle_p50:.2f}"
    )
    failures = {**idle.failures, **busy.failures}
    if failures:
        print(f"non-201 answers: {failures}")


if __name__ == "__main__":
    main()
