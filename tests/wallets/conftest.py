"""Apple Wallet switched on with a certificate chain the tests generate (root, WWDR-like
intermediate, Pass Type ID certificate), written once per run; Google Wallet switched on against a
local stand-in (tests/wallets/google_standin.py) with a service account the tests generate."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.wallets.apns_standin import ApnsStandIn, make_server_tls
from tests.wallets.google_standin import GoogleStandIn, service_account_info, service_account_key
from wallets.apple import apns
from wallets.apple.dev_certs import CertChain, make_chain
from wallets.google import client as google_client

PASS_TYPE_ID = "pass.test.loyalty"
TEAM_ID = "TEST123456"
KEY_PASSWORD = "a key passphrase for tests"
GOOGLE_ISSUER_ID = "3388000000022000001"


@dataclass(frozen=True)
class AppleChain:
    chain: CertChain
    files: dict[str, Path]  # the three APPLE_*_FILE settings and ROOT_CERT_FILE
    pass_type_id: str = PASS_TYPE_ID
    team_id: str = TEAM_ID


@pytest.fixture(scope="session")
def apple_chain(tmp_path_factory: pytest.TempPathFactory) -> AppleChain:
    chain = make_chain(pass_type_id=PASS_TYPE_ID, team_id=TEAM_ID)
    files = chain.write(tmp_path_factory.mktemp("apple"), key_password=KEY_PASSWORD)
    return AppleChain(chain=chain, files=files)


@pytest.fixture
def apple_wallet(settings: Any, apple_chain: AppleChain) -> AppleChain:
    """Apple Wallet on, for this test, with the generated chain."""
    settings.APPLE_PASS_TYPE_ID = PASS_TYPE_ID
    settings.APPLE_TEAM_ID = TEAM_ID
    settings.APPLE_PASS_KEY_PASSWORD = KEY_PASSWORD
    for name in ("APPLE_PASS_CERT_FILE", "APPLE_PASS_KEY_FILE", "APPLE_WWDR_CERT_FILE"):
        setattr(settings, name, str(apple_chain.files[name]))
    return apple_chain


# --- Google Wallet


@dataclass(frozen=True)
class GoogleAccountFiles:
    key: Any  # the service account's RSA private key
    credentials_file: Path


@pytest.fixture(scope="session")
def google_standin(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[GoogleStandIn, GoogleAccountFiles]]:
    key = service_account_key()
    standin = GoogleStandIn(public_key=key.public_key()).start()
    path = tmp_path_factory.mktemp("google") / "service-account.json"
    path.write_text(json.dumps(service_account_info(key, token_uri=standin.token_uri)))
    yield standin, GoogleAccountFiles(key=key, credentials_file=path)
    google_client.close()
    standin.stop()


@pytest.fixture
def google_wallet(
    settings: Any, google_standin: tuple[GoogleStandIn, GoogleAccountFiles]
) -> GoogleStandIn:
    """Google Wallet on, for this test, against the stand-in (emptied first), with no pace
    (tests about the pace set GOOGLE_WALLET_MAX_RPS themselves)."""
    standin, files = google_standin
    standin.reset()
    settings.GOOGLE_WALLET_ISSUER_ID = GOOGLE_ISSUER_ID
    settings.GOOGLE_WALLET_CREDENTIALS_FILE = str(files.credentials_file)
    settings.GOOGLE_WALLET_API_URL = standin.url
    settings.GOOGLE_WALLET_MAX_RPS = 0
    settings.GOOGLE_WALLET_COALESCE_SECONDS = 0.2
    return standin


# --- APNs


@pytest.fixture(scope="session")
def apns_standin(
    apple_chain: AppleChain,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ApnsStandIn]:
    """The local APNs stand-in (HTTP/2, TLS), trusting the certificates the tests' root
    issued, as APNs trusts Apple's."""
    tls = make_server_tls(tmp_path_factory.mktemp("apns"))
    server = ApnsStandIn(
        tls=tls,
        client_ca_files=[
            apple_chain.files["ROOT_CERT_FILE"],
            apple_chain.files["APPLE_WWDR_CERT_FILE"],
        ],
    ).start()
    yield server
    apns.close()
    server.stop()


@pytest.fixture
def apns_on(
    settings: Any,
    apple_wallet: AppleChain,
    apns_standin: ApnsStandIn,
) -> ApnsStandIn:
    """Apple Wallet on, pushing to the stand-in (emptied first)."""
    settings.APNS_URL = apns_standin.url
    settings.APNS_CA_FILE = str(apns_standin.tls.ca_file)
    settings.APNS_TIMEOUT_SECONDS = 2
    apns_standin.reset()
    return apns_standin
