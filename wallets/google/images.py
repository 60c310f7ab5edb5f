"""The programme logo Google Wallet shows when the merchant uploaded none: the card colour with
the programme's initial, 660 pixels square as Google recommends (it masks it to a circle)."""

from __future__ import annotations

from functools import lru_cache

from PIL import Image, ImageDraw

from common.colors import readable_ink
from wallets.apple.images import _font, _initial, _png, _rgb

SIDE = 660


@lru_cache(maxsize=256)
def default_logo_png(color: str, name: str) -> bytes:
    image = Image.new("RGB", (SIDE, SIDE), _rgb(color))
    draw = ImageDraw.Draw(image)
    draw.text(
        (SIDE / 2, SIDE / 2),
        _initial(name),
        fill=_rgb(readable_ink(color)),
        font=_font(SIDE * 0.5),
        anchor="mm",
    )
    return _png(image)
