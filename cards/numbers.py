"""Card numbers: 12 digits, random (not guessable in sequence), the last one a Luhn check digit,
so a mistyped digit or a swap of two neighbours is caught before any lookup."""

from __future__ import annotations

import secrets

CARD_NUMBER_LENGTH = 12


def luhn_check_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:  # doubled positions, counted from the digit left of the check digit
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def new_card_number() -> str:
    # The first digit is never 0 so the number survives spreadsheets and POS systems that
    # treat it as an integer.
    body = str(secrets.randbelow(9) + 1) + "".join(
        str(secrets.randbelow(10)) for _ in range(CARD_NUMBER_LENGTH - 2)
    )
    return body + luhn_check_digit(body)


def normalise_card_number(value: str) -> str:
    """Strip the spaces and dashes people type or scanners add."""
    return "".join(ch for ch in str(value) if ch not in " -\t")


def is_valid_card_number(value: str) -> bool:
    return (
        len(value) == CARD_NUMBER_LENGTH
        and value.isascii()
        and value.isdigit()
        and luhn_check_digit(value[:-1]) == value[-1]
    )


def format_card_number(value: str) -> str:
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
