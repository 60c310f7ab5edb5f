"""Absolute links to a card's pages and passes, on the host the merchant was reached by."""

from __future__ import annotations

from cards.models import LoyaltyCard
from common.urls import absolute_url


def card_page_url(card: LoyaltyCard, host: str) -> str:
    return absolute_url(host, f"/c/{card.public_token}/")


def apple_pass_url(card: LoyaltyCard, host: str) -> str:
    return absolute_url(host, f"/api/v1/loyalty/passes/apple/{card.apple_serial_number}.pkpass")


def google_save_url(card: LoyaltyCard, host: str) -> str:
    return absolute_url(host, f"/api/v1/loyalty/passes/google/{card.apple_serial_number}")
