"""Settings that switch both wallets on (files need not exist: no pass is built yet), and
waiting for what a wallet does in the background."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

APPLE_ON = {
    "APPLE_PASS_TYPE_ID": "pass.example.loyalty",
    "APPLE_TEAM_ID": "ABCDE12345",
    "APPLE_PASS_CERT_FILE": "/secrets/pass.pem",
    "APPLE_PASS_KEY_FILE": "/secrets/pass.key",
    "APPLE_WWDR_CERT_FILE": "/secrets/wwdr.pem",
}
GOOGLE_ON = {
    "GOOGLE_WALLET_ISSUER_ID": "3388000000012345678",
    "GOOGLE_WALLET_CREDENTIALS_FILE": "/secrets/google.json",
}


def switch_wallets_on(settings: Any, *, apple: bool = True, google: bool = True) -> None:
    """With pytest-django's ``settings`` fixture (restored after the test)."""
    for name, value in {**(APPLE_ON if apple else {}), **(GOOGLE_ON if google else {})}.items():
        setattr(settings, name, value)


def eventually(check: Callable[[], bool], timeout: float = 10) -> bool:
    """Whether ``check`` comes true within ``timeout`` seconds (polled every 20 ms)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def settle() -> None:
    """Wait for the wallet updates running on background threads (no broker: the receivers'
    "wallet-…" timers) to finish."""
    for thread in [t for t in threading.enumerate() if t.name.startswith("wallet-")]:
        thread.join(15)
