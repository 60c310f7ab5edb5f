"""Which devices to tell that a pass changed, and forgetting the ones APNs says are gone."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.db.models import Q

from wallets.apple import apns
from wallets.apple.apns import PushStatus
from wallets.models import AppleRegistration

logger = logging.getLogger("wallets.apns")


@dataclass
class PushReport:
    delivered: int = 0
    removed: int = 0  # registrations deleted because APNs said their token is gone
    dropped: int = 0
    retry_registration_ids: list[int] = field(default_factory=list)


def push_to_cards(
    *, card_ids: Sequence[int], registration_ids: Sequence[int] | None = None
) -> PushReport:
    """Send an update notification to every device registered for these cards' Apple passes
    (only to ``registration_ids`` among them when given: a retry), one per push token.

    Registrations whose token APNs calls gone are deleted; the ids of those that got no
    definite answer after the in-task attempts are returned for a later retry.
    """
    registrations = AppleRegistration.objects.filter(wallet_pass__card_id__in=card_ids)
    if registration_ids is not None:
        registrations = registrations.filter(pk__in=registration_ids)
    by_token: dict[str, list[int]] = {}
    for pk, token in registrations.values_list("pk", "push_token"):
        by_token.setdefault(token, []).append(pk)
    report = PushReport()
    if not by_token:
        return report
    results = apns.send_pushes(by_token)
    gone: list[tuple[str, apns.PushResult]] = []
    for token, result in results.items():
        if result.status is PushStatus.DELIVERED:
            report.delivered += 1
        elif result.status is PushStatus.GONE:
            gone.append((token, result))
        elif result.status is PushStatus.RETRY:
            report.retry_registration_ids.extend(by_token[token])
        else:
            report.dropped += 1
    if gone:
        report.removed = remove_dead_tokens(gone)
    return report


def remove_dead_tokens(gone: Sequence[tuple[str, apns.PushResult]]) -> int:
    """Delete every registration (of any card) with a token APNs says is gone; returns how many.

    A 410 says since when: a device that registered again after that keeps its registration.
    """
    condition = Q()
    for token, result in gone:
        if result.gone_since_ms is not None:
            since = dt.datetime.fromtimestamp(result.gone_since_ms / 1000, tz=dt.UTC)
            condition |= Q(push_token=token, updated_at__lte=since)
        else:
            condition |= Q(push_token=token)
    deleted, _by_model = AppleRegistration.objects.filter(condition).delete()
    for token, result in gone:
        logger.info(
            "APNs says push token %s is gone (%s %s): registrations removed",
            apns.token_hint(token),
            result.code,
            result.reason,
        )
    return deleted


def has_registrations(*, card_id: int) -> bool:
    return AppleRegistration.objects.filter(wallet_pass__card_id=card_id).exists()


def registered_card_batches(*, program_id: int, size: int) -> Iterator[list[int]]:
    """The ids of the programme's cards that some device registered, ``size`` at a time."""
    card_ids = (
        AppleRegistration.objects.filter(wallet_pass__card__program_id=program_id)
        .values_list("wallet_pass__card_id", flat=True)
        .distinct()
        .order_by("wallet_pass__card_id")
    )
    batch: list[int] = []
    for card_id in card_ids.iterator(chunk_size=2000):
        batch.append(card_id)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
