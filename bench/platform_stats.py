#!/usr/bin/env python
"""The platform's figures with many merchants: roll-up time and the platform admin API's latency.

Creates --merchants merchants (1,000 by default) on the configured database (DATABASE_URL, or the
embedded PostgreSQL), each with a real schema and the same data: one seed merchant is signed up
through the real service and given two programmes, --cards cards with stamps, points, rewards and
wallet passes through the real services; every other merchant's schema is a copy of the seed's
(every table with its constraints, indexes and rows; see ``copy_statements``), with its own
merchant and domain rows. Then it prints the time of a full roll-up (``rollup_all_merchants``,
what ``manage.py rollup_platform_stats`` runs, one merchant after the other) and the latency
(p50/p95/max over --requests requests) of both platform endpoints through the Django test client
and the whole middleware stack, signed in as platform staff. Everything it created (merchants
``bench-p-*``, their schemas, the staff user) is dropped at the end, even after an error.

    .venv/bin/python bench/platform_stats.py [--merchants 1000] [--cards 20] [--requests 20]
        [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty_saas.settings.base")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django_tenants.utils import quote_schema_name, schema_context  # noqa: E402

from cards.services import (  # noqa: E402
    StaffAuth,
    add_points,
    add_stamps,
    enroll_customer,
    redeem_points,
    redeem_stamps,
)
from common.request_meta import RequestMeta  # noqa: E402
from insights.platform import rollup_all_merchants  # noqa: E402
from merchants.models import Domain, Merchant, MerchantFigures  # noqa: E402
from merchants.services import MerchantSignup, create_merchant, purge_merchant  # noqa: E402
from programs.services import create_program, create_store  # noqa: E402
from staff.services import create_staff_pin  # noqa: E402
from wallets.models import AppleRegistration, WalletPass  # noqa: E402

PREFIX = "bench-p-"
STAFF_USER = "bench-platform-staff"
PIN = "2580"


def in_threads(work: Callable[[object], None], items: Iterable[object], threads: int) -> None:
    """Schema DDL is mostly PostgreSQL's catalogue work: a few connections at once go faster."""

    def run(item: object) -> None:
        try:
            work(item)
        finally:
            connections.close_all()  # this thread's own connection

    pool = ThreadPoolExecutor(max_workers=threads)
    try:
        for _ in pool.map(run, items):
            pass
    finally:
        # Interrupted: drop the queue (the clean-up comes next), finish what runs.
        pool.shutdown(wait=True, cancel_futures=True)


def drop_bench_merchants(threads: int = 4) -> int:
    connection.set_schema_to_public()
    merchants = list(Merchant.objects.filter(schema_name__startswith=PREFIX))
    in_threads(lambda merchant: purge_merchant(merchant=merchant), merchants, threads)
    User.objects.filter(username=STAFF_USER).delete()
    return len(merchants)


def seed(cards: int) -> Merchant:
    merchant = create_merchant(
        signup=MerchantSignup(
            name="Bench seed",
            slug=f"{PREFIX}0000",
            email="owner@bench-seed.example",
            password="a bench passphrase 2026",
        )
    )
    with schema_context(merchant.schema_name):
        main = create_store(name="Main Street", code="main")
        bakery = create_store(name="Bakery", code="bakery")
        create_program(
            store=main,
            loyalty_type="stamps",
            card_name="Coffee Card",
            stamps_target=5,
            cooldown_minutes=0,
            max_daily_stamps=20,
        )
        create_program(
            store=bakery,
            loyalty_type="points",
            card_name="Bakery Points",
            points_per_euro=Decimal("1"),
            points_rewards=[{"id": "cake", "name": "A cake", "points_cost": 50}],
        )
        alice = StaffAuth(create_staff_pin(store=main, name="Alice", pin=PIN).pk, PIN)
        bob = StaffAuth(create_staff_pin(store=bakery, name="Bob", pin=PIN).pk, PIN)
        meta = RequestMeta(source="api")
        for n in range(cards):
            store = "main" if n % 2 == 0 else "bakery"
            card = enroll_customer(
                store_code=store, name=f"Customer {n}", email=f"c{n}@bench.example"
            ).card
            if store == "main":
                add_stamps(card_number=card.card_number, staff=alice, meta=meta, quantity=3)
                add_stamps(card_number=card.card_number, staff=alice, meta=meta, quantity=3)
                redeem_stamps(card_number=card.card_number, staff=alice, meta=meta)
            else:
                add_points(
                    card_number=card.card_number, purchase_amount_cents=6000, staff=bob, meta=meta
                )
                redeem_points(card_number=card.card_number, reward_id="cake", staff=bob, meta=meta)
            wallet_pass = WalletPass.objects.create(
                card=card, google_object_id=f"issuer.{card.pk}" if n % 3 == 0 else ""
            )
            if n % 4 == 0:
                AppleRegistration.objects.create(
                    wallet_pass=wallet_pass, device_library_id=f"d{n}", push_token="t"
                )
    connection.set_schema_to_public()
    return merchant


def copy_statements(seed_schema: str) -> Callable[[str], str]:
    """The SQL that copies the seed's schema under another name: every table of it, with its
    columns, defaults, constraints and indexes (``LIKE … INCLUDING ALL``; not its foreign keys)
    and its rows. django-tenants' ``clone_schema`` (what sign-up uses) gets slower with every
    schema in the catalogue, past a second each after a few hundred: 1,000 of them would take
    most of an hour."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename",
            [seed_schema],
        )
        tables = [name for (name,) in cursor.fetchall()]
    source = quote_schema_name(seed_schema)

    def statements(slug: str) -> str:
        target = quote_schema_name(slug)
        lines = [f"CREATE SCHEMA {target};"]
        for table in tables:
            lines.append(
                f'CREATE TABLE {target}."{table}" (LIKE {source}."{table}" INCLUDING ALL);'
            )
            lines.append(f'INSERT INTO {target}."{table}" SELECT * FROM {source}."{table}";')
        return "\n".join(lines)

    return statements


def copy_seed(statements: Callable[[str], str], index: int) -> None:
    slug = f"{PREFIX}{index:04d}"
    with transaction.atomic():
        merchant = Merchant.objects.create(
            schema_name=slug, name=f"Bench {index:04d}", contact_email=f"owner@{slug}.example"
        )
        Domain.objects.create(
            domain=f"{slug}.{settings.PLATFORM_DOMAIN}", tenant=merchant, is_primary=True
        )
        with connection.cursor() as cursor:
            cursor.execute(statements(slug))


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
        f"max {ordered[-1] * 1000:.1f} ms"
    )


def measure(client: Client, url: str, requests: int) -> list[float]:
    client.get(url)  # warm-up (URL resolution, first query plans)
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content[:500]
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--merchants", type=int, default=1000)
    parser.add_argument("--cards", type=int, default=20, help="cards per merchant")
    parser.add_argument("--requests", type=int, default=20, help="requests per endpoint")
    parser.add_argument("--threads", type=int, default=2, help="connections copying schemas")
    args = parser.parse_args()

    left = drop_bench_merchants()
    if left:
        print(f"dropped {left} merchants left by an earlier run")
    try:
        started = time.perf_counter()
        seed_merchant = seed(args.cards)
        print(f"seed merchant with {args.cards} cards: {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        statements = copy_statements(seed_merchant.schema_name)
        in_threads(
            lambda index: copy_seed(statements, index), range(1, args.merchants), args.threads
        )
        print(
            f"{args.merchants - 1} merchants copied from the seed ({args.threads} connections): "
            f"{time.perf_counter() - started:.1f} s"
        )
        merchants = Merchant.objects.count()

        started = time.perf_counter()
        done = rollup_all_merchants()
        elapsed = time.perf_counter() - started
        print(
            f"roll-up of {done} merchants (of {merchants} on this database): {elapsed:.1f} s, "
            f"{elapsed / done * 1000:.1f} ms per merchant"
        )
        figures = MerchantFigures.objects.get(merchant__schema_name=f"{PREFIX}0001")
        print(
            f"  one merchant's figures: {figures.cards} cards, "
            f"{figures.operations_30_days} operations, {figures.redemptions_30_days} redemptions, "
            f"{figures.wallet_apple_cards} Apple / {figures.wallet_google_cards} Google"
        )

        staff = User.objects.create_user(STAFF_USER, is_staff=True)
        client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
        client.force_login(staff)
        for url in (
            "/api/v1/admin/loyalty/stats",
            "/api/v1/admin/loyalty/stats?ordering=name&offset=500",
            "/api/v1/admin/loyalty/programs",
            "/api/v1/admin/loyalty/programs?search=bakery&offset=900",
            "/api/v1/admin/loyalty/programs?limit=1000",
        ):
            print(f"GET {url}: {percentiles(measure(client, url, args.requests))}")
    finally:
        started = time.perf_counter()
        dropped = drop_bench_merchants(args.threads)
        print(f"dropped {dropped} bench merchants: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
