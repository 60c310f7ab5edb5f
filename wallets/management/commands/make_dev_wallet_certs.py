"""``manage.py make_dev_wallet_certs``: a self-signed development chain shaped like Apple's (a
root, a WWDR-like intermediate, a Pass Type ID certificate), so a newcomer can build, download and
inspect a signed pass. iPhones accept only passes signed with certificates Apple issued: these
passes open in no real Wallet.

``make run`` calls it when no Apple credentials are configured and points the APPLE_* settings at
the folder it writes.
"""

from __future__ import annotations

import datetime as dt
import shlex
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from wallets.apple.dev_certs import DEV_PASS_TYPE_ID, DEV_TEAM_ID, make_chain

# A chain that expires within this time is replaced rather than kept.
RENEW_BEFORE = dt.timedelta(days=30)
FILES = ("pass.pem", "pass.key", "wwdr.pem", "root.pem")


def existing_chain_is_valid(folder: Path, *, now: dt.datetime) -> bool:
    """The folder holds a whole chain for the development ids, the key fits the certificate,
    the WWDR-like certificate issued it, and it stays valid a while longer."""
    try:
        cert = x509.load_pem_x509_certificate((folder / "pass.pem").read_bytes())
        wwdr = x509.load_pem_x509_certificate((folder / "wwdr.pem").read_bytes())
        x509.load_pem_x509_certificate((folder / "root.pem").read_bytes())
        key = serialization.load_pem_private_key((folder / "pass.key").read_bytes(), None)
        cert.verify_directly_issued_by(wwdr)
    except Exception:  # any unreadable, missing or mismatched file: write a new chain
        return False
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    uid = cert.subject.get_attributes_for_oid(NameOID.USER_ID)
    team = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    return (
        key.public_key().public_bytes(der, spki) == cert.public_key().public_bytes(der, spki)
        and bool(uid)
        and uid[0].value == DEV_PASS_TYPE_ID
        and bool(team)
        and team[0].value == DEV_TEAM_ID
        and cert.not_valid_before_utc <= now
        and cert.not_valid_after_utc - now > RENEW_BEFORE
    )


class Command(BaseCommand):
    help = (
        "Write a self-signed development certificate chain for Apple Wallet (passes it signs "
        "open in no iPhone) and print the settings that use it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dir",
            default=str(settings.DATA_DIR / "apple-dev"),
            help="Folder for the PEM files (default: .data/apple-dev).",
        )
        parser.add_argument(
            "--force", action="store_true", help="Write a new chain even if a valid one exists."
        )
        parser.add_argument(
            "--shell",
            action="store_true",
            help="Print only `export NAME=value` lines for a shell to eval (messages go to "
            "stderr): what `make run` does.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["dir"]).resolve()
        shell = options["shell"]
        say = self.stderr.write if shell else self.stdout.write
        now = dt.datetime.now(dt.UTC)
        if not options["force"] and existing_chain_is_valid(folder, now=now):
            say(f"Keeping the development Apple Wallet certificates in {folder}.")
        else:
            make_chain().write(folder)
            say(f"Wrote development Apple Wallet certificates to {folder}.")
        say(
            "Passes signed with them can be downloaded and inspected; no iPhone opens them "
            "(Apple Wallet accepts only certificates Apple issued)."
        )
        values = {
            "APPLE_PASS_TYPE_ID": DEV_PASS_TYPE_ID,
            "APPLE_TEAM_ID": DEV_TEAM_ID,
            "APPLE_PASS_CERT_FILE": str(folder / "pass.pem"),
            "APPLE_PASS_KEY_FILE": str(folder / "pass.key"),
            "APPLE_WWDR_CERT_FILE": str(folder / "wwdr.pem"),
            # A password left in the environment would not open this unencrypted key.
            "APPLE_PASS_KEY_PASSWORD": "",
        }
        if shell:
            for name, value in values.items():
                self.stdout.write(f"export {name}={shlex.quote(value)}")
            return
        say("The settings that use them:")
        for name, value in values.items():
            self.stdout.write(f"{name}={value}")
