"""A fake camera for Chromium: a Y4M video of a QR code.

Chromium plays the file as the camera with ``--use-fake-device-for-media-stream
--use-fake-ui-for-media-stream --use-file-for-fake-video-capture=<path>.y4m`` (looping it).
"""

from __future__ import annotations

from pathlib import Path

import segno

WIDTH, HEIGHT = 640, 480
FPS = 10
FRAMES = 20
# Video range luma (BT.601): what a camera delivers for black and white paper.
BLACK, WHITE = 16, 235
NEUTRAL_CHROMA = 128


def qr_frame(text: str, *, width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """Luma plane (width x height bytes): the QR code centred on white, with its quiet zone.

    A regular QR code, never a Micro QR (which ``segno.make`` picks for short data such as a card
    number, and which jsQR and most phone cameras cannot read).
    """
    qr = segno.make(text, error="m", micro=False)
    border = 4  # the quiet zone the QR specification asks for
    size = qr.symbol_size(border=border)[0]
    scale = max(1, int(min(width, height) * 0.75) // size)
    pixels = size * scale
    if pixels > min(width, height):
        raise ValueError(f"{text!r} makes too large a QR code for a {width}x{height} frame")
    left, top = (width - pixels) // 2, (height - pixels) // 2
    plane = bytearray([WHITE]) * (width * height)
    for y, row in enumerate(qr.matrix_iter(scale=scale, border=border, verbose=False)):
        line = bytes(BLACK if dark else WHITE for dark in row)
        start = (top + y) * width + left
        plane[start : start + pixels] = line
    return bytes(plane)


def write_y4m(path: Path, text: str, *, frames: int = FRAMES) -> Path:
    """Write a YUV4MPEG2 (4:2:0) video showing ``text`` as a QR code, ``frames`` still frames."""
    luma = qr_frame(text)
    chroma = bytes([NEUTRAL_CHROMA]) * ((WIDTH // 2) * (HEIGHT // 2))
    frame = b"FRAME\n" + luma + chroma + chroma
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(frame)
    return path
