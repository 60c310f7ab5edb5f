"""Apple Wallet switched on with a certificate chain the tests generate (root, WWDR-like
intermediate, Pass Type ID certificate), written once per run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from wallets.apple.dev_certs import CertChain, make_chain

PASS_TYPE_ID = "pass.test.loyalty"
TEAM_ID = "TEST123456"
KEY_PASSWORD = "a key passphrase for tests"


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
