"""The ``.pkpass`` archive: the files, ``manifest.json`` (SHA-1 of each) and ``signature``, a
detached PKCS#7 DER signature over the manifest's exact bytes, made with the Pass Type ID
certificate, the WWDR intermediate embedded and the signing time among the signed attributes
(Apple, "Building a pass")."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from wallets.apple.credentials import AppleCredentials

# PNGs are compressed already, and the small strings files and the signature hardly shrink:
# storing them is faster (each deflated file costs a compressor) and the archive hardly bigger.
_STORED_SUFFIXES = (".png", ".strings")


def manifest(files: Mapping[str, bytes]) -> bytes:
    return json.dumps(
        {name: hashlib.sha1(data).hexdigest() for name, data in sorted(files.items())},  # noqa: S324 (Apple's format)
        separators=(",", ":"),
    ).encode()


def sign(data: bytes, credentials: AppleCredentials) -> bytes:
    # The builder's default signed attributes are content type, signing time, message digest
    # and S/MIME capabilities.
    return (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(data)
        .add_signer(credentials.pass_cert, credentials.pass_key, hashes.SHA256())  # type: ignore[arg-type]
        .add_certificate(credentials.wwdr_cert)
        .sign(
            serialization.Encoding.DER,
            [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
        )
    )


def package(files: Mapping[str, bytes], credentials: AppleCredentials) -> bytes:
    """The signed archive of ``files`` (names → bytes, ``pass.json`` among them)."""
    manifest_bytes = manifest(files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in sorted(files.items()):
            compression = (
                zipfile.ZIP_STORED if name.endswith(_STORED_SUFFIXES) else zipfile.ZIP_DEFLATED
            )
            archive.writestr(name, data, compress_type=compression)
        archive.writestr("manifest.json", manifest_bytes, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(
            "signature", sign(manifest_bytes, credentials), compress_type=zipfile.ZIP_STORED
        )
    return buffer.getvalue()
