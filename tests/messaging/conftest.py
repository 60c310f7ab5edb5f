"""Both wallets on against their local stand-ins: the APNs stand-in (HTTP/2, TLS, our client
certificate checked) and the Google Wallet stand-in (tests/wallets)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.wallets.apns_standin import ApnsStandIn, make_server_tls
from tests.wallets.conftest import (  # noqa: F401 (fixtures)
    AppleChain,
    apple_chain,
    apple_wallet,
    google_standin,
    google_wallet,
)
from wallets.apple import apns


@pytest.fixture(scope="session")
def apns_standin(
    apple_chain: AppleChain,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ApnsStandIn]:
    tls = make_server_tls(tmp_path_factory.mktemp("apns-messages"))
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
    apple_wallet: AppleChain,  # noqa: F811
    apns_standin: ApnsStandIn,
) -> ApnsStandIn:
    settings.APNS_URL = apns_standin.url
    settings.APNS_CA_FILE = str(apns_standin.tls.ca_file)
    settings.APNS_TIMEOUT_SECONDS = 2
    apns_standin.reset()
    return apns_standin
