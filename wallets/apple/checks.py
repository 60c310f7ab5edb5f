"""Whether the configured Apple Wallet credentials fit together and can sign passes Apple accepts.

``check_credentials()`` returns findings, one sentence each, for ``manage.py check_apple_wallet``
(which prints them and exits non-zero on an error) and for any other place that wants to say
what is wrong (a status page, a deployment check). It reads the files; it never prints a secret.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from django.conf import settings

from wallets.apple.credentials import AppleCredentialsError, load_credentials
from wallets.config import APPLE_REQUIRED, apple_configured

EXPIRY_WARNING = dt.timedelta(days=30)


class Level(StrEnum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    level: Level
    message: str

    def __str__(self) -> str:
        return f"{self.level.upper()}: {self.message}"


def has_errors(findings: list[Finding]) -> bool:
    return any(finding.level is Level.ERROR for finding in findings)


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def _public_der(key: object) -> bytes:
    return key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _day(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _validity(cert: x509.Certificate, what: str, now: dt.datetime) -> list[Finding]:
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if now < start:
        return [Finding(Level.ERROR, f"{what} is not valid before {_day(start)}")]
    if now > end:
        return [Finding(Level.ERROR, f"{what} expired on {_day(end)}")]
    if end - now < EXPIRY_WARNING:
        days = (end - now).days
        return [
            Finding(
                Level.WARNING,
                f"{what} expires in {days} day{'s' if days != 1 else ''}, on {_day(end)}: renew it",
            )
        ]
    return [Finding(Level.OK, f"{what} is valid until {_day(end)}")]


def _apns_ca() -> list[Finding]:
    path = settings.APNS_CA_FILE
    if not path:
        return []
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        return [Finding(Level.ERROR, f"APNS_CA_FILE ({path}) cannot be read: {error.strerror}")]
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        certificates = []
    if not certificates:
        return [Finding(Level.ERROR, f"APNS_CA_FILE ({path}) holds no PEM certificate")]
    return [Finding(Level.OK, f"APNS_CA_FILE ({path}) adds {len(certificates)} trusted CA(s)")]


def check_credentials(*, now: dt.datetime | None = None) -> list[Finding]:
    """Every finding about the Apple Wallet settings; an ERROR means passes cannot be trusted
    (or built) with them."""
    now = now or dt.datetime.now(dt.UTC)
    if not apple_configured():
        missing = [name for name in APPLE_REQUIRED if not getattr(settings, name, "")]
        return [
            Finding(
                Level.ERROR,
                "Apple Wallet is not configured (it is off): set " + ", ".join(missing),
            ),
            *_apns_ca(),
        ]
    try:
        credentials = load_credentials()
    except AppleCredentialsError as error:
        return [Finding(Level.ERROR, str(error)), *_apns_ca()]

    findings: list[Finding] = []
    cert, wwdr = credentials.pass_cert, credentials.wwdr_cert
    uid = _attribute(cert.subject, NameOID.USER_ID)
    if uid != credentials.pass_type_id:
        findings.append(
            Finding(
                Level.ERROR,
                f"APPLE_PASS_TYPE_ID is {credentials.pass_type_id!r} but the pass certificate "
                f"is for {uid!r} (its UID)",
            )
        )
    else:
        findings.append(Finding(Level.OK, f"The pass certificate is for {uid}"))
    team = _attribute(cert.subject, NameOID.ORGANIZATIONAL_UNIT_NAME)
    if team != credentials.team_id:
        findings.append(
            Finding(
                Level.ERROR,
                f"APPLE_TEAM_ID is {credentials.team_id!r} but the pass certificate belongs to "
                f"team {team!r} (its OU)",
            )
        )
    else:
        findings.append(Finding(Level.OK, f"The pass certificate belongs to team {team}"))

    if _public_der(credentials.pass_key.public_key()) != _public_der(cert.public_key()):
        findings.append(
            Finding(
                Level.ERROR,
                f"The pass key ({credentials.key_file}) does not match the pass certificate "
                f"({credentials.cert_file})",
            )
        )
    else:
        findings.append(Finding(Level.OK, "The pass key matches the pass certificate"))

    findings += _validity(cert, "The pass certificate", now)

    try:
        cert.verify_directly_issued_by(wwdr)
    except (ValueError, TypeError, InvalidSignature):
        issuer = _attribute(cert.issuer, NameOID.COMMON_NAME) or cert.issuer.rfc4514_string()
        findings.append(
            Finding(
                Level.ERROR,
                f"The pass certificate was not issued by the WWDR certificate "
                f"({settings.APPLE_WWDR_CERT_FILE}): its issuer is {issuer!r}",
            )
        )
    else:
        findings.append(
            Finding(Level.OK, "The pass certificate was issued by the WWDR certificate")
        )

    findings += _validity(wwdr, "The WWDR certificate", now)
    findings += _apns_ca()
    return findings
