"""A built pass is a zip that Apple's tools accept: what the manifest lists, hashes that match
and a detached PKCS#7 signature that openssl verifies against the chain."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from django_tenants.utils import schema_context

from tests.cards.helpers import new_card
from tests.conftest import Loyalty
from tests.wallets.conftest import AppleChain
from wallets.apple.package import build_pkpass
from wallets.selectors import find_apple_pass
from wallets.services import ensure_wallet_pass

pytestmark = pytest.mark.django_db


def _built(loyalty: Loyalty) -> bytes:
    card = new_card(loyalty)
    with schema_context(loyalty.merchant.schema_name):
        serial = ensure_wallet_pass(card=card).apple_serial_number
        return build_pkpass(find_apple_pass(serial_number=serial), host="x.localhost").data


def test_the_archive_holds_what_its_manifest_lists_with_matching_hashes(
    loyalty: Loyalty, apple_wallet: AppleChain
) -> None:
    with zipfile.ZipFile(io.BytesIO(_built(loyalty))) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        assert names == set(manifest) | {"manifest.json", "signature"}
        assert "pass.json" in manifest and "icon.png" in manifest
        for name, digest in manifest.items():
            assert hashlib.sha1(archive.read(name)).hexdigest() == digest


def test_openssl_verifies_the_signature_with_the_chain_and_finds_the_signing_time(
    loyalty: Loyalty, apple_wallet: AppleChain, tmp_path: Path
) -> None:
    with zipfile.ZipFile(io.BytesIO(_built(loyalty))) as archive:
        (tmp_path / "manifest.json").write_bytes(archive.read("manifest.json"))
        (tmp_path / "signature").write_bytes(archive.read("signature"))
    verify = subprocess.run(
        [
            "openssl", "smime", "-verify", "-binary", "-inform", "DER",
            "-in", tmp_path / "signature", "-content", tmp_path / "manifest.json",
            "-CAfile", apple_wallet.files["ROOT_CERT_FILE"],
            "-purpose", "any", "-out", "/dev/null",
        ],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stderr
    assert "Verification successful" in verify.stderr

    printed = subprocess.run(
        ["openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", tmp_path / "signature"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "signingTime" in printed
    assert "Dev Worldwide Developer Relations" in printed  # the intermediate is embedded

    # A manifest changed after signing is refused.
    (tmp_path / "manifest.json").write_bytes(b"{}")
    tampered = subprocess.run(
        [
            "openssl", "smime", "-verify", "-binary", "-inform", "DER",
            "-in", tmp_path / "signature", "-content", tmp_path / "manifest.json",
            "-CAfile", apple_wallet.files["ROOT_CERT_FILE"], "-purpose", "any",
        ],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert tampered.returncode != 0
