"""``manage.py sync_google_wallet --merchant <schema>``: a merchant's classes and every card's
object brought up to date against the stand-in, with progress on stderr and a summary; an unknown
merchant or Google Wallet switched off is a clear failure."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tenants.utils import schema_context

from cards.models import LoyaltyCard
from tests.cards.factories import CustomerFactory
from tests.conftest import Loyalty
from tests.wallets.google_standin import GoogleStandIn
from wallets.google import client as google_client
from wallets.models import GoogleClass, WalletPass

pytestmark = pytest.mark.django_db


def _cards(loyalty: Loyalty, count: int) -> list[LoyaltyCard]:
    # Straight into the table: no enrollment announcement, so no object yet.
    with schema_context(loyalty.merchant.schema_name):
        return [
            LoyaltyCard.objects.create(
                customer=CustomerFactory(email=f"c{number}@example.com"),
                program=loyalty.stamps_program,
                store=loyalty.stamps_store,
            )
            for number in range(count)
        ]


def _run(loyalty: Loyalty, *args: str, stderr: io.StringIO | None = None) -> tuple[str, str]:
    out, err = io.StringIO(), stderr or io.StringIO()
    schema = loyalty.merchant.schema_name
    call_command("sync_google_wallet", "--merchant", schema, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_inserts_the_objects_google_lacks_and_reports_figures(
    loyalty: Loyalty, google_wallet: GoogleStandIn
) -> None:
    cards = _cards(loyalty, 5)

    out, err = _run(loyalty, "--every", "2")

    inserts = google_wallet.requests(kind="loyaltyObject", method="POST")
    assert len(inserts) == 5 and all(r.status == 200 for r in inserts)
    assert len(google_wallet.requests(kind="loyaltyClass", method="POST")) == 2  # both programmes
    with schema_context(loyalty.merchant.schema_name):
        held = {p.card_id: p for p in WalletPass.objects.all()}
        assert GoogleClass.objects.filter(error="", synced_at__isnull=False).count() == 2
    for card in cards:
        assert google_wallet.get("loyaltyObject", held[card.pk].google_object_id) is not None
    assert "5 cards" in out and "inserted 5" in out and "patched 0" in out
    assert "unchanged 0" in out and "refused 0" in out and "postponed 0" in out
    # Not a terminal: a line every 2 cards and one at the end.
    assert re.findall(r"Google Wallet: (\d+)/5 cards", err) == ["2", "4", "5"]

    # Nothing changed since: no object request at all, unless forced.
    out, _err = _run(loyalty)
    assert "unchanged 5" in out and "inserted 0" in out
    assert len(google_wallet.requests(kind="loyaltyObject")) == 5
    out, _err = _run(loyalty, "--force")
    assert "unchanged 0" in out
    assert len(google_wallet.requests(kind="loyaltyObject")) > 5


def test_refusals_and_postponements_are_counted(
    loyalty: Loyalty, google_wallet: GoogleStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(google_client, "BACKOFF_SECONDS", 0.001)  # the in-call retries, quick
    cards = _cards(loyalty, 3)
    _run(loyalty)
    google_wallet.fail_next(400, reason="invalidResource", kind="loyaltyObject", count=1)
    # Every in-call attempt for the two other cards: Google is down for them.
    google_wallet.fail_next(503, kind="loyaltyObject", count=2 * google_client.ATTEMPTS)

    out, _err = _run(loyalty, "--force")

    assert "refused 1" in out and "postponed 2" in out
    assert "run the command again later" in out
    with schema_context(loyalty.merchant.schema_name):
        refused = WalletPass.objects.get(card=cards[0])
    assert refused.google_error and refused.google_error_at is not None


def test_a_terminal_gets_a_bar_redrawn_in_place(
    loyalty: Loyalty, google_wallet: GoogleStandIn
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    _cards(loyalty, 3)
    _out, err = _run(loyalty, stderr=Terminal())

    assert err.startswith("\r[") and "\n" not in err.rstrip("\n")
    assert "[" + "#" * 30 + "] 3/3 cards" in err and err.endswith("\n")


def test_an_unknown_merchant_or_google_off_is_refused_clearly(
    loyalty: Loyalty, google_wallet: GoogleStandIn, settings: object
) -> None:
    with pytest.raises(CommandError, match="No merchant has the schema 'nobody'") as unknown:
        call_command("sync_google_wallet", "--merchant", "nobody", stdout=io.StringIO())
    assert unknown.value.returncode != 0

    settings.GOOGLE_WALLET_ISSUER_ID = ""  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match=r"not configured.*GOOGLE_WALLET_ISSUER_ID") as off:
        _run(loyalty)
    assert off.value.returncode != 0
    assert google_wallet.requests() == []
