"""A programme's own Wallet identifiers are kept by wallets and still read and written with the
programme, in the API and in the back office."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from programs.services import create_program, create_store
from tests.conftest import Loyalty
from tests.programs.test_admin import program_form, signed_in
from wallets.models import ProgramWallet

pytestmark = pytest.mark.django_db

URL = "/api/v1/vendor/loyalty/programs"


def _stored(loyalty: Loyalty, program_id: int) -> tuple[str, str] | None:
    with schema_context(loyalty.merchant.schema_name):
        wallet = ProgramWallet.objects.filter(program_id=program_id).first()
    return (wallet.google_issuer_id, wallet.apple_pass_type_id) if wallet else None


def test_a_programme_without_its_own_identifiers_uses_the_platforms(loyalty: Loyalty) -> None:
    body = loyalty.api().get(f"{URL}/{loyalty.stamps_program.pk}").json()
    assert (body["google_issuer_id"], body["apple_pass_type_id"]) == ("", "")
    assert _stored(loyalty, loyalty.stamps_program.pk) is None


def test_the_api_creates_reads_and_changes_a_programmes_identifiers(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        create_store(name="Kiosk", code="kiosk")
    created = loyalty.api().post(
        URL,
        {
            "store_code": "kiosk",
            "loyalty_type": "stamps",
            "google_issuer_id": "3388000000011111111",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    program_id = created.json()["id"]
    assert created.json()["google_issuer_id"] == "3388000000011111111"
    assert _stored(loyalty, program_id) == ("3388000000011111111", "")

    changed = loyalty.api().patch(
        f"{URL}/{program_id}",
        {"apple_pass_type_id": "pass.example.kiosk"},
        content_type="application/json",
    )
    assert changed.status_code == 200
    assert changed.json()["apple_pass_type_id"] == "pass.example.kiosk"
    assert _stored(loyalty, program_id) == ("3388000000011111111", "pass.example.kiosk")
    listed = {p["id"]: p for p in loyalty.api().get(URL).json()}[program_id]
    assert listed["google_issuer_id"] == "3388000000011111111"
    assert listed["apple_pass_type_id"] == "pass.example.kiosk"


def test_the_programme_list_reads_the_identifiers_without_a_query_per_programme(
    loyalty: Loyalty,
) -> None:
    api = loyalty.api()
    api.get(URL)  # the key's last_used_at is written once
    with CaptureQueriesContext(connection) as two:
        assert len(api.get(URL).json()) == 2
    with schema_context(loyalty.merchant.schema_name):
        for code in ("kiosk", "market", "station"):
            create_program(
                store=create_store(name=code, code=code),
                loyalty_type="stamps",
                apple_pass_type_id=f"pass.example.{code}",
            )
    with CaptureQueriesContext(connection) as five:
        body = api.get(URL).json()
    assert {p["apple_pass_type_id"] for p in body} >= {"pass.example.kiosk", ""}
    assert len(five) == len(two)


def test_the_back_office_shows_and_changes_a_programmes_identifiers(loyalty: Loyalty) -> None:
    program = loyalty.stamps_program
    with schema_context(loyalty.merchant.schema_name):
        ProgramWallet.objects.create(program=program, google_issuer_id="3388000000022222222")
    client = signed_in(loyalty.merchant)
    url = f"/admin/programs/loyaltyprogram/{program.pk}/change/"

    html = client.get(url).content.decode()
    assert 'name="google_issuer_id"' in html and 'value="3388000000022222222"' in html

    form: dict[str, Any] = program_form(
        loyalty.stamps_store,
        card_name="Coffee Card",
        stamps_target="10",
        google_issuer_id="3388000000022222222",
        apple_pass_type_id="pass.example.coffee",
    )
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()
    assert _stored(loyalty, program.pk) == ("3388000000022222222", "pass.example.coffee")


def test_wallets_fills_the_programme_seam_when_django_starts() -> None:
    from programs import wallet_ids
    from wallets.program_ids import ProgramWalletIds

    assert isinstance(wallet_ids._store, ProgramWalletIds)
