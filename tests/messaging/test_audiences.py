"""Who an audience is, and what the preview says a send would do."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from messaging import selectors
from messaging.models import Audience
from tests.conftest import Loyalty
from tests.messaging.helpers import days_ago, enrol, on_apple, on_google_record, set_state
from tests.wallets.helpers import switch_wallets_on


def _ids(**kwargs: Any) -> set[int]:
    return set(selectors.audience_cards(**kwargs).values_list("pk", flat=True))


@pytest.mark.django_db
def test_each_audience_names_exactly_its_cards(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        ready = set_state(enrol(email="ready@example.com"), stamp_count=10)
        away = set_state(enrol(email="away@example.com"), stamp_count=9)
        idle = set_state(
            enrol(email="idle@example.com"), last_activity_at=days_ago(40), created_at=days_ago(90)
        )
        fresh = enrol(email="fresh@example.com")
        rich = set_state(enrol(store_code="bakery", email="rich@example.com"), points_balance=60)
        poor = set_state(enrol(store_code="bakery", email="poor@example.com"), points_balance=10)
        blocked = set_state(enrol(email="blocked@example.com"), is_active=False)
        everyone = {ready.pk, away.pk, idle.pk, fresh.pk, rich.pk, poor.pk}

        assert _ids(audience=Audience.EVERYONE) == everyone
        assert blocked.pk not in _ids(audience=Audience.EVERYONE)
        assert _ids(audience=Audience.REWARD_READY) == {ready.pk, rich.pk}
        assert _ids(audience=Audience.ONE_STAMP_AWAY) == {away.pk}
        assert _ids(audience=Audience.NO_VISIT, days=30) == {idle.pk}
        assert _ids(audience=Audience.NEW, days=7) == everyone - {idle.pk}
        assert _ids(audience=Audience.STORE, store_id=loyalty.points_store.pk) == {
            rich.pk,
            poor.pk,
        }
        assert _ids(audience=Audience.EVERYONE, program_id=loyalty.points_program.pk) == {
            rich.pk,
            poor.pk,
        }


@pytest.mark.django_db
def test_points_expiring_within_14_days(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        program = loyalty.points_program
        program.points_expiration_days = 90
        program.save()
        soon = set_state(
            enrol(store_code="bakery", email="soon@example.com"),
            points_balance=30,
            last_activity_at=days_ago(80),
        )
        later = set_state(
            enrol(store_code="bakery", email="later@example.com"),
            points_balance=30,
            last_activity_at=days_ago(60),
        )
        set_state(
            enrol(store_code="bakery", email="empty@example.com"),
            points_balance=0,
            last_activity_at=days_ago(80),
        )
        assert later.pk not in _ids(audience=Audience.POINTS_EXPIRING)
        assert _ids(audience=Audience.POINTS_EXPIRING) == {soon.pk}


@pytest.mark.django_db
def test_preview_counts_per_wallet_and_says_why_the_rest_is_skipped(
    loyalty: Loyalty, settings: Any
) -> None:
    switch_wallets_on(settings)
    with schema_context(loyalty.merchant.schema_name):
        apple_only = [enrol(email=f"a{i}@example.com") for i in range(20)]
        google_only = [enrol(email=f"g{i}@example.com") for i in range(10)]
        both = enrol(email="both@example.com")
        enrol(email="nopass@example.com")
        unconsenting = enrol(email="no@example.com", consent=False)
        for card in [*apple_only, both, unconsenting]:
            on_apple(card)
        for card in [*google_only, both]:
            on_google_record(card, f"issuer.card-{card.pk}")

        result = selectors.preview(audience=Audience.EVERYONE)

    assert result.targeted == 33
    assert result.skipped == {"no_pass": 1, "no_consent": 1, "budget": 0}
    sendable = 31
    assert result.holdout == round(sendable / 10)
    assert result.reached == sendable - result.holdout
    # The wallets' shares of those sent (the holdout is drawn per card when sending); the
    # customer without consent has an Apple pass but is not counted there.
    assert result.apple == round(21 * 0.9)
    assert result.google == round(11 * 0.9)
    assert result.both == round(1 * 0.9)
