"""The Pass Type ID certificate, its key and the WWDR intermediate, read from the files that the
settings name (SPEC §8). Read once per process and again when a file changes (a renewed
certificate is picked up without a restart)."""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from functools import cached_property

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from django.conf import settings

from wallets.config import apple_configured


class AppleCredentialsError(Exception):
    """The Apple settings name files that cannot be read or do not fit together."""


@dataclass(frozen=True)
class AppleCredentials:
    pass_type_id: str
    team_id: str
    pass_cert: x509.Certificate
    pass_key: PrivateKeyTypes
    wwdr_cert: x509.Certificate
    cert_file: str
    key_file: str
    key_password: str

    @cached_property
    def fingerprint(self) -> str:
        """Changes with the identifiers, the signing certificate or the intermediate: a renewed
        certificate gives every built pass a new cache key and APNs a new connection."""
        parts = (
            self.pass_type_id,
            self.team_id,
            self.pass_cert.fingerprint(hashes.SHA256()).hex(),
            self.wwdr_cert.fingerprint(hashes.SHA256()).hex(),
        )
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


_lock = threading.Lock()
_cached: tuple[tuple, AppleCredentials] | None = None


def _read(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as error:
        raise AppleCredentialsError(f"{what} ({path}) cannot be read: {error.strerror}") from None


def _certificate(path: str, what: str) -> x509.Certificate:
    data = _read(path, what)
    try:
        return (
            x509.load_pem_x509_certificate(data)
            if b"-----BEGIN" in data
            else x509.load_der_x509_certificate(data)
        )
    except ValueError:
        raise AppleCredentialsError(f"{what} ({path}) is not a PEM or DER certificate") from None


def _signature(paths: tuple[str, ...]) -> tuple:
    stamps = []
    for path in paths:
        try:
            stat = os.stat(path)
            stamps.append((path, stat.st_mtime_ns, stat.st_size))
        except OSError:
            stamps.append((path, None, None))
    return (
        settings.APPLE_PASS_TYPE_ID,
        settings.APPLE_TEAM_ID,
        settings.APPLE_PASS_KEY_PASSWORD,
        *stamps,
    )


def load_credentials() -> AppleCredentials:
    """The credentials; AppleCredentialsError when Apple Wallet is not configured or its files
    are unreadable. Does not check that they fit together (``checks.check_credentials`` does)."""
    global _cached
    if not apple_configured():
        raise AppleCredentialsError("Apple Wallet is not configured")
    paths = (
        settings.APPLE_PASS_CERT_FILE,
        settings.APPLE_PASS_KEY_FILE,
        settings.APPLE_WWDR_CERT_FILE,
    )
    signature = _signature(paths)
    cached = _cached
    if cached is not None and cached[0] == signature:
        return cached[1]
    with _lock:
        password = settings.APPLE_PASS_KEY_PASSWORD or ""
        key_data = _read(settings.APPLE_PASS_KEY_FILE, "The pass key")
        try:
            key = serialization.load_pem_private_key(key_data, password.encode() or None)
        except TypeError:
            raise AppleCredentialsError(
                "The pass key is encrypted: set APPLE_PASS_KEY_PASSWORD"
            ) from None
        except ValueError:
            raise AppleCredentialsError(
                "The pass key cannot be read: not a PEM private key, or a wrong "
                "APPLE_PASS_KEY_PASSWORD"
            ) from None
        credentials = AppleCredentials(
            pass_type_id=settings.APPLE_PASS_TYPE_ID,
            team_id=settings.APPLE_TEAM_ID,
            pass_cert=_certificate(settings.APPLE_PASS_CERT_FILE, "The pass certificate"),
            pass_key=key,
            wwdr_cert=_certificate(settings.APPLE_WWDR_CERT_FILE, "The WWDR certificate"),
            cert_file=settings.APPLE_PASS_CERT_FILE,
            key_file=settings.APPLE_PASS_KEY_FILE,
            key_password=password,
        )
        _cached = (signature, credentials)
        return credentials
