"""The "Add to Google Wallet" link: ``https://pay.google.com/gp/v/save/<JWT>``, the JWT signed
RS256 with the service account's key (google-auth's signer) and carrying, when Google already has
the card's object, only its id, so the link stays short (Google asks for under 1,800 characters).
A card whose object is not inserted yet carries the whole object: Google creates it on save, and
our next sync finds it there (409) and patches it. The programme's class comes along too when
Google has never had it inserted."""

from __future__ import annotations

import time
from typing import Any

from google.auth import crypt, jwt

from common.urls import absolute_url
from wallets.google.credentials import load_account

SAVE_URL = "https://pay.google.com/gp/v/save/"


def save_jwt(
    *, objects: list[dict[str, Any]], host: str, classes: list[dict[str, Any]] | None = None
) -> str:
    account = load_account()
    credentials = account.credentials
    signer: crypt.Signer = credentials.signer
    claims = {
        "iss": account.email,
        "aud": "google",
        "typ": "savetowallet",
        "iat": int(time.time()),
        # The pages the button may appear on: the merchant's own host.
        "origins": [absolute_url(host, "")],
        "payload": {
            **({"loyaltyClasses": classes} if classes else {}),
            "loyaltyObjects": objects,
        },
    }
    return jwt.encode(signer, claims).decode("ascii")


def save_url(
    *, objects: list[dict[str, Any]], host: str, classes: list[dict[str, Any]] | None = None
) -> str:
    return SAVE_URL + save_jwt(objects=objects, classes=classes, host=host)
