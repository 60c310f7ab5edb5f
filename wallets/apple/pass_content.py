"""What a card's Apple pass shows: ``pass.json`` and its images (Apple, "Pass design and
creation"; ``storeCard`` style)."""

from __future__ import annotations

import io
import json
from functools import lru_cache

from PIL import Image

from cards.models import LoyaltyCard
from wallets.apple.credentials import AppleCredentials
from wallets.models import WalletPass


@lru_cache(maxsize=64)
def _plain_png(color: str, width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def pass_json(
    wallet_pass: WalletPass, card: LoyaltyCard, credentials: AppleCredentials, *, host: str
) -> dict:
    program = card.program
    return {
        "formatVersion": 1,
        "passTypeIdentifier": credentials.pass_type_id,
        "teamIdentifier": credentials.team_id,
        "serialNumber": wallet_pass.apple_serial_number,
        "organizationName": program.card_name or card.store.name,
        "description": program.card_name or card.store.name,
        "backgroundColor": program.card_color,
        "storeCard": {
            "primaryFields": [{"key": "balance", "label": "Stamps", "value": card.stamp_count}],
        },
        "barcodes": [
            {
                "format": "PKBarcodeFormatQR",
                "message": card.qr_code_data,
                "messageEncoding": "iso-8859-1",
                "altText": card.formatted_number,
            }
        ],
        "voided": not card.is_active,
    }


def pass_files(
    wallet_pass: WalletPass, card: LoyaltyCard, credentials: AppleCredentials, *, host: str
) -> dict[str, bytes]:
    """Every file of the pass but the manifest and signature, by name."""
    color = card.program.card_color
    return {
        "pass.json": json.dumps(
            pass_json(wallet_pass, card, credentials, host=host), ensure_ascii=False
        ).encode(),
        "icon.png": _plain_png(color, 29, 29),
        "icon@2x.png": _plain_png(color, 58, 58),
        "icon@3x.png": _plain_png(color, 87, 87),
    }
