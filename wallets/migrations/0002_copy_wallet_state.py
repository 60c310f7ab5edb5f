"""Copies each card's and each programme's wallet identifiers from their old columns (removed by
cards 0007 and programs 0004, which run after this) into ``wallets``; undone, copies them back.

A card keeps its serial number and authentication token: passes already on phones carry both.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import migrations

BATCH = 2000


def _batches(queryset: Any) -> Any:
    batch: list[Any] = []
    for row in queryset.iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def copy_to_wallets(apps: Any, schema_editor: Any) -> None:
    LoyaltyCard = apps.get_model("cards", "LoyaltyCard")
    LoyaltyProgram = apps.get_model("programs", "LoyaltyProgram")
    WalletPass = apps.get_model("wallets", "WalletPass")
    ProgramWallet = apps.get_model("wallets", "ProgramWallet")
    cards = LoyaltyCard.objects.order_by("pk").values_list(
        "pk", "apple_serial_number", "apple_auth_token", "google_object_id"
    )
    for batch in _batches(cards):
        WalletPass.objects.bulk_create(
            WalletPass(
                card_id=pk,
                apple_serial_number=serial,
                apple_auth_token=token,
                google_object_id=google_object_id,
            )
            for pk, serial, token, google_object_id in batch
        )
    programs = LoyaltyProgram.objects.order_by("pk").values_list(
        "pk", "google_issuer_id", "apple_pass_type_id"
    )
    ProgramWallet.objects.bulk_create(
        (
            ProgramWallet(program_id=pk, google_issuer_id=issuer, apple_pass_type_id=pass_type)
            for pk, issuer, pass_type in programs
        ),
        batch_size=BATCH,
    )


def copy_back(apps: Any, schema_editor: Any) -> None:
    LoyaltyCard = apps.get_model("cards", "LoyaltyCard")
    LoyaltyProgram = apps.get_model("programs", "LoyaltyProgram")
    WalletPass = apps.get_model("wallets", "WalletPass")
    ProgramWallet = apps.get_model("wallets", "ProgramWallet")
    fields = ["apple_serial_number", "apple_auth_token", "google_object_id"]
    for cards in _batches(LoyaltyCard.objects.order_by("pk").only("pk")):
        passes = {
            wallet_pass.card_id: wallet_pass
            for wallet_pass in WalletPass.objects.filter(card__in=cards)
        }
        for card in cards:
            wallet_pass = passes.get(card.pk)
            if wallet_pass is None:
                # A card created since never needed a pass: give it fresh values, as its column
                # default did, since the serial number column becomes unique again.
                card.apple_serial_number = secrets.token_hex(16)
                card.apple_auth_token = secrets.token_urlsafe(32)
                card.google_object_id = ""
            else:
                for name in fields:
                    setattr(card, name, getattr(wallet_pass, name))
        LoyaltyCard.objects.bulk_update(cards, fields)
    wallets = {wallet.program_id: wallet for wallet in ProgramWallet.objects.all()}
    programs = list(LoyaltyProgram.objects.only("pk"))
    for program in programs:
        wallet = wallets.get(program.pk)
        program.google_issuer_id = wallet.google_issuer_id if wallet else ""
        program.apple_pass_type_id = wallet.apple_pass_type_id if wallet else ""
    LoyaltyProgram.objects.bulk_update(
        programs, ["google_issuer_id", "apple_pass_type_id"], batch_size=BATCH
    )


class Migration(migrations.Migration):
    dependencies = [("wallets", "0001_initial")]

    operations = [migrations.RunPython(copy_to_wallets, copy_back)]
