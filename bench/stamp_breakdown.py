#!/usr/bin/env python
"""Where a stamp's CPU goes: the request and its parts, timed in-process (no profiler overhead).

Sets up the bench merchant of ``stamp_api.py`` and prints, per call averaged over --runs, the
process CPU and wall time of: a whole stamp request through Django's test client (middleware,
DRF, API key, service, response), ``GET /healthz`` (one query, no DRF: the floor of a Django
request), the engine service ``add_stamps`` alone, its card lock query through the ORM and the same
query as raw SQL, the Argon2id PIN check, rendering the response and validating the input.

    .venv/bin/python bench/stamp_breakdown.py [--runs 1000]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Importing the stamp bench sets Django up (settings, DEBUG off) before the models are imported.
import stamp_api
from django.db import connection, transaction
from django.test import Client
from django_tenants.utils import schema_context

from cards.api.serializers import OperationOutput, StampInput
from cards.models import LoyaltyCard, LoyaltyTransaction
from cards.services import StaffAuth, add_stamps
from common.request_meta import RequestMeta
from merchants.models import Merchant
from merchants.services import purge_merchant
from staff.models import StaffPin
from staff.pins import pin_matches


def timed(label: str, call: Callable[[], object], runs: int) -> None:
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(runs):
        call()
    cpu_ms = (time.process_time() - cpu) * 1000 / runs
    wall_ms = (time.perf_counter() - wall) * 1000 / runs
    print(f"{label:<46} cpu {cpu_ms:5.2f} ms   wall {wall_ms:5.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    runs = parser.parse_args().runs

    setup = stamp_api.set_up(3 * runs + 300)
    numbers: Iterator[str] = iter(setup["numbers"])
    pin_id, pin = setup["pins"][0]
    api = Client(HTTP_HOST=setup["host"], HTTP_AUTHORIZATION=f"Bearer {setup['key']}")
    try:

        def request() -> None:
            body = {"card_number": next(numbers), "staff_pin_id": pin_id, "pin": pin}
            response = api.post(
                "/api/v1/vendor/loyalty/stamp", body, content_type="application/json"
            )
            assert response.status_code == 201, response.content

        for _ in range(200):  # warm caches and connections
            request()
        timed("stamp request, whole", request, runs)
        plain = Client(HTTP_HOST=setup["host"])
        timed("GET /healthz (the floor of a request)", lambda: plain.get("/healthz"), runs)

        with schema_context(stamp_api.SLUG):

            def service() -> LoyaltyTransaction:
                return add_stamps(
                    card_number=next(numbers),
                    quantity=1,
                    notes="",
                    staff=StaffAuth(staff_pin_id=pin_id, pin=pin),
                    meta=RequestMeta(source="api"),
                    scope_store=None,
                )

            timed("engine service add_stamps", service, runs)
            number = setup["numbers"][0]

            def orm_lock() -> None:
                with transaction.atomic():
                    LoyaltyCard.objects.select_for_update(of=("self",)).select_related(
                        "program", "customer", "store"
                    ).get(card_number=number)

            def raw_lock() -> None:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT * FROM cards_loyaltycard c"
                        " JOIN programs_loyaltyprogram p ON p.id = c.program_id"
                        " JOIN programs_store s ON s.id = c.store_id"
                        " JOIN cards_customer u ON u.id = c.customer_id"
                        " WHERE c.card_number = %s FOR UPDATE OF c",
                        [number],
                    )
                    cursor.fetchall()

            timed("  card lock query, ORM (in a transaction)", orm_lock, runs)
            timed("  card lock query, raw SQL (in a transaction)", raw_lock, runs)
            pin_hash = StaffPin.objects.get(pk=pin_id).pin_hash
            timed("  Argon2id PIN check", lambda: pin_matches(pin_hash, pin), runs)
            txn = service()
            context = {"request": SimpleNamespace(tenant=SimpleNamespace(domain_url="bench"))}
            instance = {"transaction": txn, "card": txn.card}
            timed(
                "response rendering", lambda: OperationOutput(instance, context=context).data, runs
            )
            body = {"card_number": number, "staff_pin_id": pin_id, "pin": pin}
            timed("input validation", lambda: StampInput(data=body).is_valid(), runs)
    finally:
        connection.close()
        purge_merchant(merchant=Merchant.objects.get(schema_name=stamp_api.SLUG))


if __name__ == "__main__":
    main()
