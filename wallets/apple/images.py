"""The pass's pictures, drawn with Pillow: the stamp strip, the icon and the logo, at 1x, 2x, 3x.

Sizes are Apple's, in points ("Pass design and creation"): icon 29 x 29, logo at most 160 x 50,
a store card's strip 375 x 144. Every image is kept in memory, keyed by exactly what it shows
(colour, target, stamps, scale; the logo's file name and the programme's version), so building
a pass costs no drawing once its pictures have been drawn.
"""

from __future__ import annotations

import io
import logging
import math
from functools import lru_cache
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from cards.models import LoyaltyCard
from common.colors import readable_ink

logger = logging.getLogger(__name__)

SCALES = (1, 2, 3)
ICON_SIDE = 29
LOGO_SIZE = (160, 50)
STRIP_SIZE = (375, 144)
# Drawn this many times larger, then scaled down: smooth edges without an antialiasing library.
_SUPERSAMPLE = 2
# The strip's left part stays clear: Wallet writes the primary field ("3 / 10") over it.
_STRIP_TEXT_SHARE = 0.36


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _mix(one: tuple[int, int, int], other: tuple[int, int, int], share: float) -> tuple:
    return tuple(round(a * (1 - share) + b * share) for a, b in zip(one, other, strict=True))


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=False)
    return buffer.getvalue()


def file_names(stem: str) -> list[str]:
    return [f"{stem}.png" if scale == 1 else f"{stem}@{scale}x.png" for scale in SCALES]


# --- The stamp strip


def _grid_shape(target: int, columns: int, width: float, height: float) -> tuple[int, int]:
    """(columns, rows): the card's own layout when its stamps stay large enough, otherwise the
    layout that draws them largest in the strip."""

    def side(cols: int) -> float:
        return min(width / cols, height / math.ceil(target / cols))

    best = max(range(1, target + 1), key=side)
    chosen = columns if side(columns) >= 0.8 * side(best) else best
    return chosen, math.ceil(target / chosen)


@lru_cache(maxsize=4096)
def strip_png(color: str, target: int, filled: int, columns: int, scale: int) -> bytes:
    """The stamp grid: ``filled`` of ``target`` stamps, filled ones in the ink that reads on the
    card colour, empty ones as rings."""
    background = _rgb(color)
    ink = _rgb(readable_ink(color))
    factor = scale * _SUPERSAMPLE
    width, height = STRIP_SIZE[0] * factor, STRIP_SIZE[1] * factor
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)

    left = width * _STRIP_TEXT_SHARE
    margin = 10 * factor
    area_width, area_height = width - left - margin, height - 2 * margin
    cols, rows = _grid_shape(target, columns, area_width, area_height)
    cell = min(area_width / cols, area_height / rows)
    radius = cell * 0.4
    ring = max(1.5 * factor, cell * 0.07)
    # Centred in the area to the right, the last row aligned left like the card page's grid.
    origin_x = left + (area_width - cell * cols) / 2
    origin_y = margin + (area_height - cell * rows) / 2
    faint = _mix(background, ink, 0.45)
    for index in range(target):
        row, col = divmod(index, cols)
        cx = origin_x + cell * (col + 0.5)
        cy = origin_y + cell * (row + 0.5)
        box = (cx - radius, cy - radius, cx + radius, cy + radius)
        if index < filled:
            draw.ellipse(box, fill=ink)
            # A check mark in the card colour: stamped.
            tick = radius * 0.5
            draw.line(
                [
                    (cx - tick, cy),
                    (cx - tick * 0.25, cy + tick * 0.7),
                    (cx + tick, cy - tick * 0.6),
                ],
                fill=background,
                width=max(1, round(ring)),
                joint="curve",
            )
        else:
            draw.ellipse(box, outline=faint, width=max(1, round(ring)))
    return _png(image.resize((STRIP_SIZE[0] * scale, STRIP_SIZE[1] * scale), Image.LANCZOS))


def strip_files(card: LoyaltyCard) -> dict[str, bytes]:
    """The strip of a card with stamps; none for a points card (its balance reads larger
    without one)."""
    grid = card.stamp_grid
    if grid is None:
        return {}
    color = card.program.card_color
    return {
        name: strip_png(color, grid.target, grid.filled, grid.columns, scale)
        for name, scale in zip(file_names("strip"), SCALES, strict=True)
    }


# --- Icon and logo


def _font(size: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(1, round(size)))


def _initial(name: str) -> str:
    return (name.strip()[:1] or "?").upper()


@lru_cache(maxsize=512)
def default_icon_png(color: str, initial: str, scale: int) -> bytes:
    """A rounded square in the card colour with the programme's initial."""
    side = ICON_SIDE * scale * _SUPERSAMPLE
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, side - 1, side - 1), radius=side * 0.22, fill=_rgb(color))
    draw.text(
        (side / 2, side / 2),
        initial,
        fill=_rgb(readable_ink(color)),
        font=_font(side * 0.6),
        anchor="mm",
    )
    final = ICON_SIDE * scale
    return _png(image.resize((final, final), Image.LANCZOS))


@lru_cache(maxsize=512)
def default_logo_png(color: str, initial: str, scale: int) -> bytes:
    """A disc in the ink colour with the initial in the card colour: reads on the pass."""
    side = LOGO_SIZE[1] * scale * _SUPERSAMPLE
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((0, 0, side - 1, side - 1), fill=_rgb(readable_ink(color)))
    draw.text((side / 2, side / 2), initial, fill=_rgb(color), font=_font(side * 0.55), anchor="mm")
    final = LOGO_SIZE[1] * scale
    return _png(image.resize((final, final), Image.LANCZOS))


@lru_cache(maxsize=32)
def _logo_source(storage: Any, name: str, version: str) -> Image.Image | None:
    """The uploaded logo decoded (``version``: the programme's, so a new upload is read again);
    None when the file cannot be read. Uploads are re-encoded PNGs of at most 1024 pixels."""
    try:
        with storage.open(name, "rb") as file:
            image = Image.open(file)
            image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        logger.warning("programme logo %s cannot be read (%s): default logo used", name, error)
        return None
    image = image.convert("RGBA")
    # Kept no larger than the largest picture made from it (the 3x logo), to keep memory small.
    image.thumbnail((LOGO_SIZE[0] * SCALES[-1], LOGO_SIZE[0] * SCALES[-1]), Image.LANCZOS)
    return image


@lru_cache(maxsize=512)
def _logo_png(storage: Any, name: str, version: str, scale: int) -> bytes | None:
    source = _logo_source(storage, name, version)
    if source is None:
        return None
    image = source.copy()
    # Fits inside the logo area, aspect kept; Wallet places it at the top left.
    image.thumbnail((LOGO_SIZE[0] * scale, LOGO_SIZE[1] * scale), Image.LANCZOS)
    return _png(image)


@lru_cache(maxsize=512)
def _icon_png(storage: Any, name: str, version: str, color: str, scale: int) -> bytes | None:
    source = _logo_source(storage, name, version)
    if source is None:
        return None
    side = ICON_SIDE * scale
    # The logo, whole, on the card colour it was chosen for.
    canvas = Image.new("RGBA", (side, side), (*_rgb(color), 255))
    logo = source.copy()
    inner = round(side * 0.84)
    logo.thumbnail((inner, inner), Image.LANCZOS)
    canvas.alpha_composite(logo, ((side - logo.width) // 2, (side - logo.height) // 2))
    return _png(canvas.convert("RGB"))


def brand_files(card: LoyaltyCard) -> dict[str, bytes]:
    """icon.png and logo.png at every scale: from the programme's uploaded logo, or drawn."""
    program = card.program
    color = program.card_color
    initial = _initial(program.card_name)
    files: dict[str, bytes] = {}
    logo = program.logo
    name = logo.name if logo else ""
    version = program.updated_at.isoformat() if program.updated_at else ""
    for scale, icon_name, logo_name in zip(
        SCALES, file_names("icon"), file_names("logo"), strict=True
    ):
        icon = _icon_png(logo.storage, name, version, color, scale) if name else None
        mark = _logo_png(logo.storage, name, version, scale) if name else None
        files[icon_name] = icon or default_icon_png(color, initial, scale)
        files[logo_name] = mark or default_logo_png(color, initial, scale)
    return files
