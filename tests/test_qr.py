from __future__ import annotations

import io

import segno
from PIL import Image

from common.qr import qr_png, qr_svg


def test_card_qr_codes_are_regular_qr_codes_not_micro_qr() -> None:
    assert segno.make("123456789012").is_micro  # what segno would pick by itself
    # A regular version-1 QR code is 21 modules wide; with the 2-module border, 25 x 8 px.
    svg = qr_svg("123456789012")
    assert 'width="200"' in svg and 'height="200"' in svg
    png = Image.open(io.BytesIO(qr_png("123456789012", scale=10)))
    assert png.size == (250, 250)
