"""Both wallets on against their local stand-ins: the APNs stand-in (HTTP/2, TLS, our client
certificate checked) and the Google Wallet stand-in (tests/wallets)."""

from tests.wallets.conftest import (  # noqa: F401 (fixtures)
    apns_on,
    apns_standin,
    apple_chain,
    apple_wallet,
    google_standin,
    google_wallet,
)
