"""Colours the merchant picks, and the ink that stays readable on them."""

from __future__ import annotations


def readable_ink(background: str) -> str:
    """Black or white, whichever reads better on ``background`` ("#RRGGBB").

    Uses the WCAG relative luminance and contrast ratio. Either black or white always reaches at
    least 4.58:1 against any colour, so the pick meets WCAG AA for normal text.
    """
    channels = (int(background[index : index + 2], 16) / 255 for index in (1, 3, 5))
    red, green, blue = (
        channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4
        for channel in channels
    )
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    contrast_with_black = (luminance + 0.05) / 0.05
    contrast_with_white = 1.05 / (luminance + 0.05)
    return "#000000" if contrast_with_black > contrast_with_white else "#FFFFFF"
