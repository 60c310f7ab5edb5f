"""Inputs found by probing that ended in a 500 (or a truncated export): each now answers a 4xx
with the API's error format (SPEC §4)."""

from __future__ import annotations

import pytest

from tests.cards.helpers import new_card, stamp
from tests.conftest import Loyalty

pytestmark = pytest.mark.django_db

TRANSACTIONS = "/api/v1/vendor/loyalty/transactions"


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("path", ["/api/v1/vendor/loyalty/stamp", "/api/v1/loyalty/enroll/main"])
@pytest.mark.parametrize("depth", [100_000, 1_000])
def test_a_deeply_nested_json_body_is_a_400(loyalty: Loyalty, path: str, depth: int) -> None:
    body = '{"name": ' + _nested(depth) + "}"
    response = loyalty.api().post(path, body, content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize("csv", [False, True])
@pytest.mark.parametrize(
    "query",
    [
        "since=2026-01-01T00:00:00%2B16:00",
        "until=2026-01-01T00:00:00-23:59",
        "since=9999-12-31T23:59:59-15:00",
        "until=0001-01-01T00:00:00%2B01:00",
    ],
)
def test_an_instant_postgresql_cannot_compare_is_a_400(
    loyalty: Loyalty, query: str, csv: bool
) -> None:
    stamp(loyalty, new_card(loyalty))
    response = loyalty.api().get(f"{TRANSACTIONS}?{query}{'&format=csv' if csv else ''}")
    assert response.status_code == 400, response.content[:200]
    if csv:
        assert b"invalid" in response.content
    else:
        assert response.json()["code"] == "invalid"
        assert set(response.json()["errors"]) <= {"since", "until"}


def test_the_widest_offsets_postgresql_takes_still_filter(loyalty: Loyalty) -> None:
    stamp(loyalty, new_card(loyalty))
    api = loyalty.api()
    assert api.get(f"{TRANSACTIONS}?since=2000-01-01T00:00:00%2B15:59").json()["count"] == 1
    assert api.get(f"{TRANSACTIONS}?until=2000-01-01T00:00:00-15:59").json()["count"] == 0


@pytest.mark.parametrize("path", [TRANSACTIONS, "/api/v1/vendor/loyalty/cards"])
@pytest.mark.parametrize(
    "query", [f"limit={2**63}", f"limit={2**63 - 1}&offset=0", f"offset={2**63}&limit={2**63}"]
)
def test_a_huge_limit_or_offset_is_capped(loyalty: Loyalty, path: str, query: str) -> None:
    stamp(loyalty, new_card(loyalty))
    response = loyalty.api().get(f"{path}?{query}")
    assert response.status_code == 200, response.content[:200]
    body = response.json()
    assert body["count"] == 1
    assert len(body["results"]) == (0 if "offset=9" in query else 1)
