"""QR codes with segno: SVG for pages and print, PNG for downloads.

Always a regular QR code: for short data such as a card number ``segno.make`` would choose a Micro
QR code, which phone cameras, the browser's BarcodeDetector and jsQR do not read."""

from __future__ import annotations

import io

import segno


def qr_svg(data: str, *, scale: int = 8, title: str = "") -> str:
    buffer = io.BytesIO()
    segno.make_qr(data, error="m").save(
        buffer,
        kind="svg",
        scale=scale,
        border=2,
        xmldecl=False,
        svgns=True,
        title=title or None,
        svgclass="qr",
        lineclass=None,
    )
    return buffer.getvalue().decode()


def qr_png(data: str, *, scale: int = 10) -> bytes:
    buffer = io.BytesIO()
    segno.make_qr(data, error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()
