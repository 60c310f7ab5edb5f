"""A self-signed certificate chain shaped like Apple's: a root, a WWDR-like intermediate and a
Pass Type ID certificate (UID = pass type identifier, OU = team identifier).

``manage.py make_dev_wallet_certs`` writes one so that a newcomer can build, download and inspect
a signed pass; the tests generate their own. iPhones accept only passes signed with a certificate
that Apple issued: these passes open in no real Wallet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEV_PASS_TYPE_ID = "pass.localhost.loyalty.dev"
DEV_TEAM_ID = "DEVTEAM000"


@dataclass(frozen=True)
class CertChain:
    root_cert: x509.Certificate
    wwdr_cert: x509.Certificate
    pass_cert: x509.Certificate
    pass_key: rsa.RSAPrivateKey

    def write(self, folder: Path, *, key_password: str = "") -> dict[str, Path]:
        """PEM files in ``folder``; the settings that name them, as paths."""
        folder.mkdir(parents=True, exist_ok=True)
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(key_password.encode())
            if key_password
            else serialization.NoEncryption()
        )
        files = {
            "APPLE_PASS_CERT_FILE": (folder / "pass.pem", _pem(self.pass_cert)),
            "APPLE_PASS_KEY_FILE": (
                folder / "pass.key",
                self.pass_key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
                ),
            ),
            "APPLE_WWDR_CERT_FILE": (folder / "wwdr.pem", _pem(self.wwdr_cert)),
            "ROOT_CERT_FILE": (folder / "root.pem", _pem(self.root_cert)),
        }
        for path, data in files.values():
            path.write_bytes(data)
        files["APPLE_PASS_KEY_FILE"][0].chmod(0o600)
        return {name: path for name, (path, _data) in files.items()}


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(*attributes: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes])


def make_chain(
    *,
    pass_type_id: str = DEV_PASS_TYPE_ID,
    team_id: str = DEV_TEAM_ID,
    organisation: str = "Loyalty development",
    valid_days: int = 365,
    not_before: dt.datetime | None = None,
) -> CertChain:
    start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    end = start + dt.timedelta(days=valid_days)
    root_key, wwdr_key, pass_key = _key(), _key(), _key()
    root_name = _name((NameOID.COMMON_NAME, "Development Root CA"), (NameOID.COUNTRY_NAME, "LU"))
    wwdr_name = _name(
        (
            NameOID.COMMON_NAME,
            "Dev Worldwide Developer Relations Certification Authority",
        ),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, "G4"),
        (NameOID.ORGANIZATION_NAME, organisation),
        (NameOID.COUNTRY_NAME, "LU"),
    )
    pass_name = _name(
        (NameOID.USER_ID, pass_type_id),
        (NameOID.COMMON_NAME, f"Pass Type ID: {pass_type_id}"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, team_id),
        (NameOID.ORGANIZATION_NAME, organisation),
        (NameOID.COUNTRY_NAME, "LU"),
    )

    def build(subject, issuer, public_key, signing_key, *, ca: bool, days_end: dt.datetime):
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(days_end)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
        else:
            builder = builder.add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=True,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            ).add_extension(
                # The pass certificate is also APNs' TLS client certificate.
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION]
                ),
                critical=False,
            )
        return builder.sign(signing_key, hashes.SHA256())

    far = start + dt.timedelta(days=valid_days + 3650)
    root = build(root_name, root_name, root_key.public_key(), root_key, ca=True, days_end=far)
    wwdr = build(wwdr_name, root_name, wwdr_key.public_key(), root_key, ca=True, days_end=far)
    cert = build(pass_name, wwdr_name, pass_key.public_key(), wwdr_key, ca=False, days_end=end)
    return CertChain(root_cert=root, wwdr_cert=wwdr, pass_cert=cert, pass_key=pass_key)
