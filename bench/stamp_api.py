#!/usr/bin/env python
"""Stamp API throughput and latency against the real server.

Starts gunicorn on the configured database (embedded PostgreSQL by default), with a bench
merchant whose programme keeps its anti-fraud rules (PIN required, 15-minute cooldown, 5 stamps a
day): every request stamps a different card, so nothing is refused, and every request runs the
full path — host routing, API-key authentication, the card and PIN row locks, the Argon2id PIN
check, the ledger insert. Client processes keep connections alive and send requests back to back
for --seconds, then the script prints requests per second, p50/p99 latency and the SQL statements
one stamp costs (counted in-process on the same code path, caches warm). Then the same clients
call ``GET /healthz`` (one query, no DRF) for as long: the rate a minimal Django view reaches on
this machine, to read the stamp figure against. The bench merchant is dropped at the end.

    .venv/bin/python bench/stamp_api.py [--seconds 20] [--clients 8] [--workers 4]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty_saas.settings.base")
os.environ["DEBUG"] = "false"  # DEBUG keeps every query in memory: never benchmark with it

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from cards.models import Customer, LoyaltyCard  # noqa: E402
from cards.numbers import new_card_number  # noqa: E402
from merchants.models import Merchant  # noqa: E402
from merchants.services import MerchantSignup, create_merchant, purge_merchant  # noqa: E402
from programs.services import create_program, create_store  # noqa: E402
from staff.services import create_api_key, create_staff_pin  # noqa: E402

SLUG = "bench-stamps"
PINS = ["2468", "1357", "8024", "9135", "5791", "3580", "4826", "6173"]


def set_up(cards: int) -> dict:
    existing = Merchant.objects.filter(schema_name=SLUG).first()
    if existing:
        purge_merchant(merchant=existing)
    merchant = create_merchant(
        signup=MerchantSignup(
            name="Bench Coffee",
            slug=SLUG,
            email="bench@bench.example",
            password="a bench passphrase 2026",
        )
    )
    with schema_context(SLUG):
        store = create_store(name="Bench", code="bench")
        program = create_program(
            store=store,
            loyalty_type="stamps",
            card_name="Bench",
            stamps_target=10,
            cooldown_minutes=15,
            max_daily_stamps=5,
            require_staff_pin=True,
        )
        pins = [
            create_staff_pin(store=store, name=f"Cashier {i}", pin=pin).pk
            for i, pin in enumerate(PINS)
        ]
        _key, api_key = create_api_key(name="Bench", scopes=["read", "write"])
        customers = Customer.objects.bulk_create(
            [
                Customer(name=f"C{i}", email=f"c{i}@bench.example", enrolled_store=store)
                for i in range(cards)
            ],
            batch_size=5000,
        )
        numbers: set[str] = set()
        while len(numbers) < cards:
            numbers.add(new_card_number())
        LoyaltyCard.objects.bulk_create(
            [
                LoyaltyCard(customer=c, program=program, store=store, card_number=n, qr_code_data=n)
                for c, n in zip(customers, numbers, strict=True)
            ],
            batch_size=5000,
        )
    connection.close()
    return {
        "host": merchant.primary_host,
        "key": api_key,
        "pins": list(zip(pins, PINS, strict=True)),
        "numbers": sorted(numbers),
    }


def count_statements(setup: dict) -> tuple[float, float]:
    """SQL statements per stamp on the real code path (middleware, auth, service), caches warm."""
    client = Client(HTTP_HOST=setup["host"], HTTP_AUTHORIZATION=f"Bearer {setup['key']}")
    pin_id, pin = setup["pins"][0]
    numbers = setup["numbers"][-60:]
    setup["numbers"] = setup["numbers"][:-60]

    def stamp(number: str) -> None:
        response = client.post(
            "/api/v1/vendor/loyalty/stamp",
            {"card_number": number, "staff_pin_id": pin_id, "pin": pin},
            content_type="application/json",
        )
        assert response.status_code == 201, response.content

    stamp(numbers[0])  # warm-up
    with CaptureQueriesContext(connection) as queries:
        for number in numbers[1:]:
            stamp(number)
    connection.close()
    statements = [q["sql"] for q in queries.captured_queries]
    control = sum(1 for sql in statements if sql in ("BEGIN", "COMMIT"))
    return (len(statements) - control) / (len(numbers) - 1), control / (len(numbers) - 1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def client_process(
    port: int,
    setup: dict,
    numbers: list[str],
    threads: int,
    seconds: float,
    start_at: float,
    results: multiprocessing.Queue,
    baseline: bool = False,
) -> None:
    """Send stamps back to back (or, with ``baseline``, ``GET /healthz``: one query, no DRF)."""
    import threading

    latencies: list[float] = []
    failures: dict[str, int] = {}
    lock = threading.Lock()
    cursor = iter(numbers)

    def run(thread_index: int) -> None:
        pin_id, pin = setup["pins"][thread_index % len(setup["pins"])]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {
            "Host": setup["host"],
            "Authorization": f"Bearer {setup['key']}",
            "Content-Type": "application/json",
            "Connection": "keep-alive",
        }
        mine: list[float] = []
        while time.time() < start_at:
            time.sleep(0.001)
        deadline = start_at + seconds
        while time.time() < deadline:
            with lock:
                number = next(cursor, None)
            if number is None:
                break
            body = json.dumps({"card_number": number, "staff_pin_id": pin_id, "pin": pin})
            began = time.perf_counter()
            try:
                if baseline:
                    conn.request("GET", "/healthz", headers=headers)
                else:
                    conn.request("POST", "/api/v1/vendor/loyalty/stamp", body, headers)
                response = conn.getresponse()
                response.read()
                status = str(response.status)
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            elapsed = time.perf_counter() - began
            if status == ("200" if baseline else "201"):
                mine.append(elapsed)
            else:
                with lock:
                    failures[status] = failures.get(status, 0) + 1
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put((latencies, failures))


def load(
    port: int, setup: dict, numbers: list[str], options: argparse.Namespace, baseline: bool = False
) -> tuple[list[float], dict[str, int]]:
    results: multiprocessing.Queue = multiprocessing.Queue()
    per_process = options.clients // options.processes
    start_at = time.time() + 1.0
    processes = [
        multiprocessing.Process(
            target=client_process,
            args=(
                port,
                setup,
                numbers[index :: options.processes],
                per_process,
                options.seconds,
                start_at,
                results,
                baseline,
            ),
        )
        for index in range(options.processes)
    ]
    for process in processes:
        process.start()
    latencies: list[float] = []
    failures: dict[str, int] = {}
    for _ in processes:
        got, failed = results.get()
        latencies.extend(got)
        for status, count in failed.items():
            failures[status] = failures.get(status, 0) + count
    for process in processes:
        process.join()
    return latencies, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections")
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument("--worker-class", default="sync", choices=["gthread", "sync"])
    parser.add_argument("--cards", type=int, default=60_000)
    options = parser.parse_args()

    print(f"setting up {options.cards} cards …", flush=True)
    setup = set_up(options.cards)
    try:
        queries, control = count_statements(setup)
        port = free_port()
        env = {
            **os.environ,
            "DEBUG": "false",
            "DATABASE_CONN_MAX_AGE": "600",
            "LOG_LEVEL": "WARNING",
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
                str(options.workers),
                "--worker-class",
                options.worker_class,
                "--threads",
                str(options.threads),
                "--keep-alive",
                "30",
                "--backlog",
                "512",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        try:
            for _ in range(300):
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        break
                except OSError:
                    time.sleep(0.1)
            time.sleep(1.0)  # let every worker finish booting
            numbers = setup["numbers"]
            latencies, failures = load(port, setup, numbers, options)
            # The same clients on a one-query Django view: what this machine serves at best.
            baseline, _failed = load(port, setup, numbers, options, baseline=True)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    finally:
        connection.close()
        purge_merchant(merchant=Merchant.objects.get(schema_name=SLUG))

    latencies.sort()
    count = len(latencies)
    p99 = latencies[min(count - 1, int(count * 0.99))] * 1000 if count else float("nan")
    print(
        f"stamps: {count} in {options.seconds:.0f} s = {count / options.seconds:.0f} stamps/s "
        f"({options.clients} connections, gunicorn {options.workers}x{options.threads} "
        f"{options.worker_class})"
    )
    print(f"latency: p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {p99:.1f} ms")
    print(
        f"SQL queries per stamp: {queries:.1f} (+ {control:.1f} transaction control: BEGIN, COMMIT)"
    )
    if failures:
        print(f"non-201 answers: {failures}")
    print(
        f"baseline, GET /healthz (one query, no DRF) with the same clients: "
        f"{len(baseline) / options.seconds:.0f} requests/s"
    )


if __name__ == "__main__":
    main()
