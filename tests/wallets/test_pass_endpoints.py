"""The pass endpoints (SPEC §4) say clearly that a wallet is not set up, in JSON, to anyone.

A configured Apple Wallet serves the signed pass (tests/wallets/test_apple_pass.py has the pass
itself), a configured Google Wallet redirects to its signed save link
(tests/wallets/test_google_save_link.py); either answers 503 ``unavailable`` with a Retry-After
while its credential files cannot be read.
"""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from tests.cards.helpers import new_card
from tests.conftest import Loyalty, client_for
from tests.wallets.conftest import AppleChain
from tests.wallets.helpers import switch_wallets_on
from wallets.models import WalletPass

pytestmark = pytest.mark.django_db

ENDPOINTS = ["/api/v1/loyalty/passes/apple/{}.pkpass", "/api/v1/loyalty/passes/google/{}"]


def _serial(loyalty: Loyalty) -> str:
    card = new_card(loyalty)
    with schema_context(loyalty.merchant.schema_name):
        return WalletPass.objects.create(card=card).apple_serial_number


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_wallet_that_is_not_set_up_is_a_json_404(loyalty: Loyalty, endpoint: str) -> None:
    url = endpoint.format(_serial(loyalty))
    response = client_for(loyalty.merchant).get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "This wallet is not set up.", "code": "not_found"}

    french = client_for(loyalty.merchant).get(url, headers={"accept-language": "fr"})
    assert french.json()["detail"] == "Ce portefeuille n\u2019est pas configuré."


def test_google_credentials_that_cannot_be_read_are_a_503(loyalty: Loyalty, settings: Any) -> None:
    switch_wallets_on(settings)  # a credentials file that does not exist
    endpoint = ENDPOINTS[1]
    # What a wallet app asks for must not turn the answer into a 406.
    response = client_for(loyalty.merchant).get(
        endpoint.format(_serial(loyalty)), headers={"accept": "application/vnd.apple.pkpass"}
    )
    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "unavailable"

    unknown = client_for(loyalty.merchant).get(endpoint.format("0" * 32))
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"


def test_only_the_configured_wallet_answers(
    loyalty: Loyalty, settings: Any, apple_wallet: AppleChain
) -> None:
    serial = _serial(loyalty)
    client = client_for(loyalty.merchant)
    apple = client.get(ENDPOINTS[0].format(serial))
    assert apple.status_code == 200
    assert apple["Content-Type"] == "application/vnd.apple.pkpass"
    assert client.get(ENDPOINTS[1].format(serial)).status_code == 404

    switch_wallets_on(settings, apple=False, google=True)  # a credentials file that is missing
    assert client.get(ENDPOINTS[1].format(serial)).status_code == 503


def test_apple_credentials_that_cannot_be_read_are_a_503(loyalty: Loyalty, settings: Any) -> None:
    switch_wallets_on(settings, apple=True, google=False)  # files that do not exist
    response = client_for(loyalty.merchant).get(ENDPOINTS[0].format(_serial(loyalty)))
    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"
    assert response["Retry-After"].isdigit()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_serial_from_another_merchant_is_unknown_here(
    loyalty: Loyalty, other_loyalty: Loyalty, settings: Any, apple_wallet: AppleChain, endpoint: str
) -> None:
    switch_wallets_on(settings, apple=False, google=True)
    serial = _serial(other_loyalty)
    response = client_for(loyalty.merchant).get(endpoint.format(serial))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
