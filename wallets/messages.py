"""Messages on the passes (issue 14): "show this message on these cards' passes, now, through both
wallets". The messaging app decides who gets what and when (audiences, consent, quiet hours, its
own weekly cap); this module only delivers, and keeps Google's own limit.

- Apple Wallet: the message goes into the pass's "news" back field (``apple.pass_content``), whose
  ``changeMessage`` puts it on the lock screen when the phone fetches the new version; the
  version moves with ``WalletPass.message_at`` and every registered device is pushed.
- Google Wallet: ``addMessage`` with ``TEXT_AND_NOTIFY`` on the card's object, which spends one
  of the pass's 3 notifications per 24 hours (``google.sync.NOTIFICATIONS_PER_DAY``, the same
  budget the reward-ready notifications spend).

``post_messages`` runs in a task, outside any transaction: one short transaction records the
batch's messages and reserves the Google notifications under the passes' row locks, then the
network (one APNs batch, Google one request at a time through the shared pace), then one short
transaction records Google's answers (a notification Google did not take is given back).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import BooleanField, Count, Exists, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from cards.models import LoyaltyCard
from common.bulk import update_rows
from wallets.apple import apns
from wallets.apple.apns import PushResult, PushStatus
from wallets.apple.credentials import AppleCredentialsError
from wallets.apple.push import remove_dead_tokens
from wallets.config import apple_configured, google_configured
from wallets.google import client as google_client
from wallets.google import ids
from wallets.google.client import GoogleError, Resource
from wallets.google.sync import notification_left, recent_notifications
from wallets.models import AppleRegistration, WalletPass

logger = logging.getLogger("wallets.messages")

MAX_TEXT_LENGTH = 90  # the lock-screen line (WalletPass.message_text)
MAX_ID_LENGTH = 64  # WalletPass.message_id
GOOGLE_MESSAGE_TYPE = "TEXT_AND_NOTIFY"  # shown on the pass and as an Android notification
MAX_ERROR_LENGTH = 200


@dataclass(frozen=True)
class PassMessage:
    card_id: int
    message_id: str  # stable per (message, card), e.g. "m12-a1b2"; Google's message id
    header: str  # short title for Google (e.g. the programme's card name)
    text: str  # the lock-screen line, at most MAX_TEXT_LENGTH characters
    detail: str = ""  # the longer text on the back of the pass ("" = none)

    def __post_init__(self) -> None:
        if not self.text or len(self.text) > MAX_TEXT_LENGTH:
            raise ValueError(f"a message's text has 1 to {MAX_TEXT_LENGTH} characters")
        if not self.message_id or len(self.message_id) > MAX_ID_LENGTH:
            raise ValueError(f"a message id has 1 to {MAX_ID_LENGTH} characters")

    def google_message(self) -> dict[str, Any]:
        """Google's ``Message``. Google has no back-of-pass detail of its own: the details
        follow the line in the body. No ``displayInterval``: shown from now on, for good."""
        body = f"{self.text}\n\n{self.detail}" if self.detail else self.text
        return {
            "header": self.header,
            "body": body,
            "id": self.message_id,
            "messageType": GOOGLE_MESSAGE_TYPE,
        }


@dataclass
class MessageOutcome:
    # "none" (no registered device, or Apple Wallet off) | "sent" (≥1 device accepted the push)
    # | "failed" (every push failed: no answer or a refusal, after the in-task attempts)
    apple: str = "none"
    apple_devices: int = 0  # devices whose push APNs accepted (on a replay: registered devices)
    # "none" (no object at Google, or Google Wallet off) | "sent" | "budget" (3 notifications
    # spent in the last 24 hours) | "failed"
    google: str = "none"
    error: str = ""  # short, no tokens
    # Registrations APNs gave no definite answer for: the caller may push them again later
    # (``wallets.tasks.push_cards_task(card_ids=…, registration_ids=…)``); the pass already
    # shows the message, so any later push delivers it.
    apple_retry_registration_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Reach:
    apple: bool  # some device registered the card's Apple pass (and Apple Wallet is configured)
    google: bool  # the card's Google object exists at Google (and Google Wallet is configured)


def wallet_reach(card_ids: Sequence[int]) -> dict[int, Reach]:
    """Which wallets can show a message on each card, in one query; a card without a wallet
    pass (never linked to either wallet) is reached by neither."""
    apple_on, google_on = apple_configured(), google_configured()
    reach = {card_id: Reach(apple=False, google=False) for card_id in card_ids}
    if not (apple_on or google_on) or not reach:
        return reach
    rows = (
        WalletPass.objects.filter(card_id__in=list(reach))
        .annotate(registered=Exists(AppleRegistration.objects.filter(wallet_pass=OuterRef("pk"))))
        .values_list("card_id", "registered", "google_object_id")
    )
    for card_id, registered, object_id in rows:
        reach[card_id] = Reach(apple=apple_on and registered, google=google_on and bool(object_id))
    return reach


def on_apple() -> Exists | Value:
    """For a card queryset's annotation: whether a message can reach the card on Apple Wallet
    (configured, and some device registered its pass). ``wallet_reach`` per card, in SQL."""
    if not apple_configured():
        return Value(False, output_field=BooleanField())
    return Exists(AppleRegistration.objects.filter(wallet_pass__card_id=OuterRef("pk")))


def on_google() -> Exists | Value:
    """The same for Google Wallet (configured, and Google has the card's object)."""
    if not google_configured():
        return Value(False, output_field=BooleanField())
    return Exists(WalletPass.objects.filter(card_id=OuterRef("pk")).exclude(google_object_id=""))


def reach_counts(card_ids: QuerySet[Any] | Iterable[int]) -> dict[str, int]:
    """How many of the cards (a queryset of cards or of card ids, or ids) each wallet reaches,
    in one query (a campaign's preview of 50,000 cards): ``{"cards", "apple", "google", "both",
    "none"}``; "apple" and "google" each include "both"."""
    totals = (
        LoyaltyCard.objects.filter(pk__in=card_ids)
        .annotate(on_apple=on_apple(), on_google=on_google())
        .aggregate(
            cards=Count("pk"),
            apple=Count("pk", filter=Q(on_apple=True)),
            google=Count("pk", filter=Q(on_google=True)),
            both=Count("pk", filter=Q(on_apple=True, on_google=True)),
        )
    )
    reached = totals["apple"] + totals["google"] - totals["both"]
    return {**totals, "none": totals["cards"] - reached}


# --- Posting


@dataclass(frozen=True)
class _GoogleSend:
    pass_pk: int
    card_id: int
    resource: Resource
    message: PassMessage
    notified_at: str  # the moment reserved in google_notified_at, given back on failure


@dataclass
class _Plan:
    """What the first transaction decided."""

    apple_card_ids: list[int] = field(default_factory=list)  # showing a new message: push
    apple_replays: list[int] = field(default_factory=list)  # showing it already
    google_sends: list[_GoogleSend] = field(default_factory=list)


_MESSAGE_FIELDS = [
    "message_text",
    "message_detail",
    "message_id",
    "message_at",
    "google_notified_at",
    "updated_at",
]


def _record(
    messages: dict[int, PassMessage],
    outcomes: dict[int, MessageOutcome],
    *,
    now: dt.datetime,
    google_on: bool,
) -> _Plan:
    """Each pass takes its message and reserves its Google notification, under the passes' row
    locks (in id order, so two batches never wait on each other in a cycle): the reward-ready
    notifications of ``google.sync.sync_card`` are spent under the same lock."""
    plan = _Plan()
    with transaction.atomic():
        passes = (
            WalletPass.objects.select_for_update(of=("self",))
            .select_related("card__program__wallet")
            .filter(card_id__in=list(messages))
            .order_by("pk")
        )
        # The pass's version is the clock's, whatever ``now`` the budget is counted at: a
        # device that asked for changes a moment ago must see this one as newer.
        written_at = timezone.now()
        changed: list[WalletPass] = []
        for wallet_pass in passes:
            message = messages[wallet_pass.card_id]
            outcome = outcomes[wallet_pass.card_id]
            dirty = False
            if wallet_pass.message_id == message.message_id:
                plan.apple_replays.append(wallet_pass.card_id)
            else:
                wallet_pass.message_text = message.text
                wallet_pass.message_detail = message.detail
                wallet_pass.message_id = message.message_id
                wallet_pass.message_at = written_at
                plan.apple_card_ids.append(wallet_pass.card_id)
                dirty = True
            if google_on and wallet_pass.google_object_id:
                if wallet_pass.google_message_id == message.message_id:
                    outcome.google = "sent"  # Google took it the first time
                else:
                    recent = recent_notifications(wallet_pass.google_notified_at, now)
                    if notification_left(recent):
                        moment = now.isoformat()
                        wallet_pass.google_notified_at = [*recent, moment]
                        dirty = True
                        program = wallet_pass.card.program
                        plan.google_sends.append(
                            _GoogleSend(
                                pass_pk=wallet_pass.pk,
                                card_id=wallet_pass.card_id,
                                resource=Resource(
                                    "loyaltyObject",
                                    wallet_pass.google_object_id,
                                    ids.issuer_id(program),
                                ),
                                message=message,
                                notified_at=moment,
                            )
                        )
                    else:
                        outcome.google = "budget"
            if dirty:
                wallet_pass.updated_at = written_at
                changed.append(wallet_pass)
        if changed:
            update_rows(changed, _MESSAGE_FIELDS)
    return plan


def _add_error(outcome: MessageOutcome, text: str) -> None:
    outcome.error = "; ".join(filter(None, (outcome.error, text)))[:MAX_ERROR_LENGTH]


def _push_error(results: Iterable[PushResult]) -> str:
    # APNs' status and reason only: a push token never goes into an outcome.
    first = next(iter(results), None)
    if first is None:
        return ""
    return f"APNs: {first.code or '-'} {first.reason}".strip()


def _push(plan: _Plan, outcomes: dict[int, MessageOutcome]) -> list[tuple[str, PushResult]]:
    """Push every device of the cards showing a new message (one APNs batch); the outcomes of
    those and of the replays. Returns the tokens APNs calls gone."""
    card_ids = plan.apple_card_ids + plan.apple_replays
    if not card_ids:
        return []
    registrations: dict[int, list[tuple[int, str]]] = {}
    for pk, token, card_id in AppleRegistration.objects.filter(
        wallet_pass__card_id__in=card_ids
    ).values_list("pk", "push_token", "wallet_pass__card_id"):
        registrations.setdefault(card_id, []).append((pk, token))
    for card_id in plan.apple_replays:
        if devices := registrations.get(card_id):
            outcomes[card_id].apple = "sent"  # the pass already shows it: pushed the first time
            outcomes[card_id].apple_devices = len(devices)
    tokens = {
        token for card_id in plan.apple_card_ids for _pk, token in registrations.get(card_id, [])
    }
    if not tokens:
        return []
    try:
        results = apns.send_pushes(tokens)
    except AppleCredentialsError:
        logger.exception("Messages not pushed: the Apple Wallet credentials cannot be read")
        for card_id in plan.apple_card_ids:
            if card_id in registrations:
                outcomes[card_id].apple = "failed"
                _add_error(outcomes[card_id], "Apple Wallet credentials cannot be read")
        return []
    gone: dict[str, PushResult] = {}
    for card_id in plan.apple_card_ids:
        outcome = outcomes[card_id]
        failures: list[PushResult] = []
        for pk, token in registrations.get(card_id, []):
            result = results[token]
            if result.status is PushStatus.DELIVERED:
                outcome.apple_devices += 1
            elif result.status is PushStatus.GONE:
                gone[token] = result  # that phone no longer holds the pass
            else:
                failures.append(result)
                if result.status is PushStatus.RETRY:
                    outcome.apple_retry_registration_ids.append(pk)
        if outcome.apple_devices:
            outcome.apple = "sent"
        elif failures:
            outcome.apple = "failed"
            _add_error(outcome, _push_error(failures))
    return list(gone.items())


def _send_google(
    plan: _Plan, outcomes: dict[int, MessageOutcome]
) -> tuple[list[_GoogleSend], list[_GoogleSend]]:
    """``addMessage`` on each object, one after the other through the shared pace; returns the
    sends Google took and those it did not."""
    taken: list[_GoogleSend] = []
    missed: list[_GoogleSend] = []
    for send in plan.google_sends:
        outcome = outcomes[send.card_id]
        try:
            google_client.add_message(send.resource, send.message.google_message())
        except GoogleError as error:  # refused for good, or not now (after the in-call retries)
            logger.warning("Google did not take message of card %s: %s", send.card_id, error)
            outcome.google = "failed"
            _add_error(outcome, f"Google: {error}")
            missed.append(send)
            continue
        outcome.google = "sent"
        taken.append(send)
    return taken, missed


def _settle(
    taken: list[_GoogleSend],
    missed: list[_GoogleSend],
    gone: list[tuple[str, PushResult]],
) -> None:
    """Google's answers recorded and the reserved notifications it did not use given back,
    under the row locks (a sync may have spent one meanwhile); the gone devices forgotten."""
    if not (taken or missed or gone):
        return
    with transaction.atomic():
        sends = {send.pass_pk: send for send in missed + taken}
        accepted = {send.pass_pk for send in taken}
        rows = list(
            WalletPass.objects.select_for_update().filter(pk__in=list(sends)).order_by("pk")
        )
        written_at = timezone.now()
        for wallet_pass in rows:
            send = sends[wallet_pass.pk]
            if wallet_pass.pk in accepted:
                wallet_pass.google_message_id = send.message.message_id
            else:
                moments = list(wallet_pass.google_notified_at)
                if send.notified_at in moments:
                    moments.remove(send.notified_at)
                wallet_pass.google_notified_at = moments
            wallet_pass.updated_at = written_at
        if rows:
            update_rows(rows, ["google_message_id", "google_notified_at", "updated_at"])
        if gone:
            remove_dead_tokens(gone)


def post_messages(
    messages: Sequence[PassMessage], *, now: dt.datetime | None = None
) -> dict[int, MessageOutcome]:
    """Show each message on its card's passes: stored on the WalletPass (the Apple pass's "news"
    field, a new version), every registered device of those cards pushed (one APNs batch; tokens
    APNs calls gone are removed), and ``addMessage`` on each Google object (paced), within
    Google's 3 notifications per pass per 24 hours counted at ``now`` (default: the clock).

    Runs outside any transaction (network). Up to a few hundred messages a call, one per card
    (the last one given for a card wins). Safe to run twice with the same message ids: a pass
    already showing a message id is not pushed again, an object Google took it on is not sent
    it again; both report "sent". Returns an outcome per card given."""
    now = now or timezone.now()
    by_card = {message.card_id: message for message in messages}
    outcomes = {card_id: MessageOutcome() for card_id in by_card}
    if not by_card:
        return outcomes
    apple_on, google_on = apple_configured(), google_configured()
    plan = _record(by_card, outcomes, now=now, google_on=google_on)
    gone = _push(plan, outcomes) if apple_on else []
    taken, missed = _send_google(plan, outcomes)
    _settle(taken, missed, gone)
    logger.info(
        "Messages posted on %d cards: %d pushed to Apple Wallet, %d sent to Google Wallet, "
        "%d refused for Google's daily limit",
        len(by_card),
        sum(outcome.apple == "sent" for outcome in outcomes.values()),
        len(taken),
        sum(outcome.google == "budget" for outcome in outcomes.values()),
    )
    return outcomes
