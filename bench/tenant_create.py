#!/usr/bin/env python
"""Merchant creation and schema migration figures, on the configured database.

Prints the median (and p90, max) time to create a merchant through the sign-up service — row,
host name, schema cloned from the template, owner with an Argon2 password — over --create runs,
then the wall time of a full ``migrate_schemas`` (parallel executor) across --schemas merchants.
Bench merchants are named ``bench-*`` and dropped at the end.

    .venv/bin/python bench/tenant_create.py [--create 10] [--schemas 100]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty_saas.settings.base")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from merchants.models import Merchant  # noqa: E402
from merchants.services import (  # noqa: E402
    MerchantSignup,
    create_merchant,
    purge_merchant,
)

PREFIX = "bench-"


def drop_bench_merchants() -> None:
    for merchant in Merchant.objects.filter(schema_name__startswith=PREFIX):
        purge_merchant(merchant=merchant)


def create(index: int) -> float:
    started = time.perf_counter()
    create_merchant(
        signup=MerchantSignup(
            name=f"Bench {index}",
            slug=f"{PREFIX}{index}",
            email=f"owner{index}@bench.example",
            password="a bench passphrase 2026",
        )
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--create", type=int, default=10, help="merchants to time one by one")
    parser.add_argument("--schemas", type=int, default=100, help="merchants for migrate_schemas")
    options = parser.parse_args()

    drop_bench_merchants()
    call_command("migrate_schemas", interactive=False, verbosity=0)  # template current
    try:
        create(0)  # warm-up: imports, clone function, connection
        timings = sorted(create(i) for i in range(1, options.create + 1))
        print(
            f"merchant creation over {len(timings)} runs: "
            f"median {statistics.median(timings) * 1000:.0f} ms, "
            f"p90 {timings[int(len(timings) * 0.9) - 1] * 1000:.0f} ms, "
            f"max {timings[-1] * 1000:.0f} ms"
        )

        existing = Merchant.objects.filter(schema_name__startswith=PREFIX).count()
        started = time.perf_counter()
        for i in range(existing, options.schemas):
            create(1000 + i)
        fill = time.perf_counter() - started
        total = Merchant.objects.count()
        print(
            f"created {options.schemas - existing} more merchants in {fill:.1f} s "
            f"({total} merchants in the database)"
        )

        started = time.perf_counter()
        call_command("migrate_schemas", interactive=False, verbosity=0)
        elapsed = time.perf_counter() - started
        print(
            f"migrate_schemas across {total} merchant schemas (+ public, template): "
            f"{elapsed:.1f} s ({elapsed / total * 1000:.0f} ms per schema, nothing to apply)"
        )
    finally:
        drop_bench_merchants()


if __name__ == "__main__":
    main()
