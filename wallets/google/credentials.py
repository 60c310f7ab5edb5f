"""The platform's Google service account, read from ``GOOGLE_WALLET_CREDENTIALS_FILE`` (SPEC §8)
with ``google-auth``: OAuth access tokens for the REST API and the RSA signer of the "Add to Google
Wallet" links. Read once per process and again when the file changes (a rotated key is picked up
without a restart)."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

import google.auth.exceptions
import google.auth.transport.requests
from django.conf import settings
from google.oauth2 import service_account

SCOPE = "https://www.googleapis.com/auth/wallet_object.issuer"


class GoogleCredentialsError(Exception):
    """The service-account file cannot be read or used, or its token endpoint refuses it."""


@dataclass
class GoogleAccount:
    credentials: service_account.Credentials
    path: str
    lock: threading.Lock

    @property
    def email(self) -> str:
        return self.credentials.service_account_email

    def access_token(self) -> str:
        """A valid OAuth access token, fetched from the account's ``token_uri`` when the last one
        is about to expire (google-auth refreshes a few minutes early)."""
        with self.lock:
            if not self.credentials.valid:
                try:
                    self.credentials.refresh(_TokenRequest())
                except google.auth.exceptions.GoogleAuthError as error:
                    raise GoogleCredentialsError(
                        f"the token endpoint refused the service account: {error}"
                    ) from None
            return str(self.credentials.token)

    def expire_token(self) -> None:
        """Forget the access token (Google answered 401): the next call fetches a new one."""
        with self.lock:
            self.credentials.token = None


class _TokenRequest(google.auth.transport.requests.Request):
    """google-auth's transport, waiting GOOGLE_WALLET_TIMEOUT_SECONDS at most (not its 120 s)."""

    def __call__(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        return super().__call__(
            *args, timeout=timeout or settings.GOOGLE_WALLET_TIMEOUT_SECONDS, **kwargs
        )


_lock = threading.Lock()
_cached: tuple[tuple[str, float], GoogleAccount] | None = None


def load_account() -> GoogleAccount:
    global _cached
    path = settings.GOOGLE_WALLET_CREDENTIALS_FILE
    try:
        key = (path, os.stat(path).st_mtime)
    except OSError as error:
        raise GoogleCredentialsError(
            f"GOOGLE_WALLET_CREDENTIALS_FILE ({path}) cannot be read: {error.strerror}"
        ) from None
    with _lock:
        if _cached is not None and _cached[0] == key:
            return _cached[1]
        try:
            credentials = service_account.Credentials.from_service_account_file(
                path, scopes=[SCOPE]
            )
        except (ValueError, KeyError, OSError) as error:
            # The message names the file, never the key it holds.
            raise GoogleCredentialsError(
                f"GOOGLE_WALLET_CREDENTIALS_FILE ({path}) is not a service-account key: "
                f"{type(error).__name__}"
            ) from None
        account = GoogleAccount(credentials=credentials, path=path, lock=threading.Lock())
        _cached = (key, account)
        return account
