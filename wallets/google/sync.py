"""Keeping Google Wallet in step with the engine: a programme's class and its cards' objects.

Each sync reads the latest state under a lock on our record of what Google accepted (so two
workers never send one card twice or spend a notification twice), sends only what changed, and
records Google's answer: the accepted body, or the refusal shown in the back office. Transient
failures (``client.GoogleTransientError``) are raised for the task to retry later.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from cards.models import LoyaltyCard
from merchants.models import Merchant
from programs.models import LoyaltyProgram
from wallets.google import client, ids
from wallets.google.client import GoogleRejectedError, GoogleTransientError, Resource
from wallets.google.content import changed_fields, class_body, object_body, reward_ready
from wallets.models import GoogleClass, WalletPass

logger = logging.getLogger("wallets.google")

# Google sends at most 3 notifications per pass in 24 hours and drops the rest; we never ask for
# more, and spend them on a reward becoming available and on the merchant's messages
# (wallets.messages), all recorded in ``WalletPass.google_notified_at`` under the pass's row lock.
NOTIFICATIONS_PER_DAY = 3
NOTIFICATION_WINDOW = dt.timedelta(hours=24)

CARD_RELATIONS = ("program__wallet", "customer", "store")


@dataclass
class SyncReport:
    inserted: int = 0
    patched: int = 0
    unchanged: int = 0
    rejected: int = 0
    notified: int = 0
    retry_card_ids: list[int] = field(default_factory=list)

    def add(self, other: SyncReport) -> None:
        for name in ("inserted", "patched", "unchanged", "rejected", "notified"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.retry_card_ids += other.retry_card_ids


def _merchant() -> Merchant:
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Merchant):
        return tenant
    return Merchant.objects.get(schema_name=connection.schema_name)


def _short(error: Exception) -> str:
    return str(error)[:1000]


# --- Classes


def sync_class(program: LoyaltyProgram, *, force: bool = False) -> GoogleClass:
    """Insert or patch the programme's LoyaltyClass; a refusal is recorded on the returned row.
    ``force`` sends the whole class even when nothing changed (the back office's re-sync)."""
    merchant = _merchant()
    class_id = ids.class_id(program)
    GoogleClass.objects.get_or_create(program=program, defaults={"class_id": class_id})
    with transaction.atomic():
        state = GoogleClass.objects.select_for_update().get(program=program)
        body = class_body(program, issuer_name=merchant.name, host=merchant.primary_host)
        resource = Resource("loyaltyClass", class_id, ids.issuer_id(program))
        try:
            if state.body and state.class_id == class_id and not force:
                changes = changed_fields(state.body, body)
                if not changes and not state.error:
                    return state
                # Google keeps an approved class approved while we say "under review".
                client.patch(
                    resource,
                    {**(changes or body), "reviewStatus": "UNDER_REVIEW"},
                    full_body=body,
                )
            else:
                client.insert(resource, body)
        except GoogleRejectedError as error:
            logger.warning("Google refused class %s: %s", class_id, error)
            state.error, state.error_at = _short(error), timezone.now()
            state.save(update_fields=["error", "error_at", "updated_at"])
            return state
        state.class_id, state.body = class_id, body
        state.synced_at, state.error, state.error_at = timezone.now(), "", None
        state.save()
        return state


def class_ready(program: LoyaltyProgram) -> bool:
    """Whether Google has the programme's class (objects need it). A refused change of a class
    Google has leaves it as Google last accepted it, which the objects can still use."""
    class_id = ids.class_id(program)
    state = GoogleClass.objects.filter(program=program).first()
    if state is None or not state.body or state.class_id != class_id:
        state = sync_class(program)
    return bool(state.body) and state.class_id == class_id


# --- Objects


def _reward_text(body: dict[str, Any]) -> str | None:
    """The reward the object shows (``content.object_body``'s "reward" text module)."""
    modules = body.get("textModulesData") or []
    return next((m.get("body") for m in modules if m.get("id") == "reward"), None)


def _points_of(body: dict[str, Any]) -> int | None:
    """The points balance the object shows (primary on a points card, secondary on hybrid)."""
    for name in ("loyaltyPoints", "secondaryLoyaltyPoints"):
        balance = (body.get(name) or {}).get("balance") or {}
        if "int" in balance:
            return int(balance["int"])
    return None


def recent_notifications(notified_at: Iterable[str], now: dt.datetime) -> list[str]:
    """The notifications of ``WalletPass.google_notified_at`` (ISO moments) that still count
    against Google's limit at ``now``."""
    since = now - NOTIFICATION_WINDOW
    return [moment for moment in notified_at if dt.datetime.fromisoformat(moment) > since]


def notification_left(recent: Sequence[str]) -> bool:
    """Whether a pass that spent ``recent`` (``recent_notifications``) may notify once more."""
    return len(recent) < NOTIFICATIONS_PER_DAY


@dataclass
class _Batch:
    """What every card of one sync shares: the merchant, and whether each programme's class is
    ready (looked up, or inserted, once)."""

    merchant: Merchant
    class_ready: dict[int, bool] = field(default_factory=dict)

    def program_ready(self, program: LoyaltyProgram) -> bool:
        if program.pk not in self.class_ready:
            self.class_ready[program.pk] = class_ready(program)
        return self.class_ready[program.pk]


def _ensure_wallet_passes(card_ids: Sequence[int]) -> None:
    """A WalletPass row for each card that has none (one query when all have one): the row
    the sync locks and records on."""
    missing = list(
        LoyaltyCard.objects.filter(pk__in=card_ids, wallet_pass__isnull=True).values_list(
            "pk", flat=True
        )
    )
    if missing:
        WalletPass.objects.bulk_create(
            [WalletPass(card_id=card_id) for card_id in missing], ignore_conflicts=True
        )


_SAVED_FIELDS = [
    "google_object_id",
    "google_object",
    "google_synced_at",
    "google_error",
    "google_error_at",
    "google_reward_ready",
    "google_notified_at",
    "updated_at",
]


def sync_card(card_id: int, *, force: bool = False, batch: _Batch | None = None) -> SyncReport:
    """Insert the card's LoyaltyObject, or patch it with the fields that changed.

    Four statements when Google has the class: the pass row locked with the card and all it
    shows in one query, the request to Google, one update, the commit.
    """
    if batch is None:
        _ensure_wallet_passes([card_id])
        batch = _Batch(merchant=_merchant())
    report = SyncReport()
    with transaction.atomic():
        # Read under the lock: the card as it is now, not as the queue saw it.
        wallet_pass = (
            WalletPass.objects.select_related("card", *(f"card__{r}" for r in CARD_RELATIONS))
            .select_for_update(of=("self",))
            .filter(card_id=card_id)
            .first()
        )
        if wallet_pass is None:
            return report  # erased since: nothing to show
        card = wallet_pass.card
        program = card.program
        if not batch.program_ready(program):
            report.rejected += 1
            wallet_pass.google_error = "the programme's class was refused (see the programme)"
            wallet_pass.google_error_at = timezone.now()
            wallet_pass.save(update_fields=["google_error", "google_error_at", "updated_at"])
            return report
        object_id = ids.object_id(wallet_pass, program)
        body = object_body(
            card,
            object_id=object_id,
            class_id=ids.class_id(program),
            host=batch.merchant.primary_host,
        )
        resource = Resource("loyaltyObject", object_id, ids.issuer_id(program))
        now = timezone.now()
        ready = reward_ready(card)
        recent = recent_notifications(wallet_pass.google_notified_at, now)
        # A reward became available: none was, or points just earned reach a better one (the
        # card that could have the coffee can now have the cake). Not after a redemption.
        sent = wallet_pass.google_object
        became_ready = ready and (
            not wallet_pass.google_reward_ready
            or (
                (_points_of(body) or 0) > (_points_of(sent) or 0)
                and _reward_text(sent) != _reward_text(body)
            )
        )
        notify = became_ready and notification_left(recent)
        try:
            if sent and not force:
                changes = changed_fields(sent, body)
                if not changes and not wallet_pass.google_error:
                    report.unchanged += 1
                    return report
                if notify:
                    changes["notifyPreference"] = "NOTIFY_ON_UPDATE"
                client.patch(resource, changes or body, full_body=body)
                report.patched += 1
            else:
                # A first insert never notifies: the customer has not added the card yet.
                notify = False
                client.insert(resource, body)
                report.inserted += 1
        except GoogleRejectedError as error:
            logger.warning("Google refused object of card %s: %s", card_id, error)
            wallet_pass.google_error, wallet_pass.google_error_at = _short(error), now
            wallet_pass.save(update_fields=["google_error", "google_error_at", "updated_at"])
            report.rejected += 1
            return report
        if notify:
            recent.append(now.isoformat())
            report.notified += 1
        wallet_pass.google_object_id = object_id
        wallet_pass.google_object = body
        wallet_pass.google_synced_at = now
        wallet_pass.google_error, wallet_pass.google_error_at = "", None
        wallet_pass.google_reward_ready = ready
        wallet_pass.google_notified_at = recent
        wallet_pass.save(update_fields=_SAVED_FIELDS)
    return report


def sync_cards(card_ids: Sequence[int], *, force: bool = False) -> SyncReport:
    """Every card in turn; the ids of those Google could not take now are returned for later."""
    report = SyncReport()
    if not card_ids:
        return report
    _ensure_wallet_passes(card_ids)
    batch = _Batch(merchant=_merchant())
    for card_id in card_ids:
        try:
            report.add(sync_card(card_id, force=force, batch=batch))
        except GoogleTransientError as error:
            logger.info("Google Wallet object of card %s postponed: %s", card_id, error)
            report.retry_card_ids.append(card_id)
    return report


def card_batches(
    *, program_id: int | None = None, only_inserted: bool, size: int
) -> Iterator[list[int]]:
    """Card ids ``size`` at a time: a programme's or the merchant's; only those whose object
    Google has or refused so far (a programme change: it may be what fixes the refusal), or all
    (a re-sync)."""
    cards = LoyaltyCard.objects.all()
    if program_id is not None:
        cards = cards.filter(program_id=program_id)
    if only_inserted:
        cards = cards.filter(wallet_pass__isnull=False).filter(
            ~Q(wallet_pass__google_object_id="") | ~Q(wallet_pass__google_error="")
        )
    batch: list[int] = []
    for card_id in cards.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=2000):
        batch.append(card_id)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def object_reference(wallet_pass: WalletPass) -> dict[str, Any] | None:
    """What an "Add to Google Wallet" link carries for the card: its object's id when Google has
    it; None otherwise."""
    if not wallet_pass.google_object_id or not wallet_pass.google_object:
        return None
    return {"id": wallet_pass.google_object_id, "classId": wallet_pass.google_object["classId"]}
