"""A programme offered at several stores: a card is valid at each, every operation records the
store where it happened, the daily limit counts the card's stamps at all of them, and callers
limited to one store (a store's API key, the terminal) see the programme's cards there."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_tenants.utils import schema_context

from cards.models import LoyaltyTransaction
from cards.services import StaffAuth, add_stamps
from common.request_meta import RequestMeta
from programs.models import LoyaltyProgram, Store
from programs.services import create_store, set_program_stores, update_program
from staff.services import create_api_key, create_staff_pin
from tests.cards.helpers import new_card, reload, stamp
from tests.conftest import STAMPS_PIN, Loyalty, client_for

pytestmark = pytest.mark.django_db

CAROL_PIN = "4826"


@pytest.fixture
def chain(loyalty: Loyalty) -> dict:
    """The stamps programme of ``loyalty`` also offered at a second shop, "Station", with its own
    PIN (Carol) and its own store-restricted key; no cooldown, two stamps a day."""
    with schema_context(loyalty.merchant.schema_name):
        station = create_store(name="Station", code="station", timezone="Europe/Luxembourg")
        set_program_stores(program=loyalty.stamps_program, stores=[loyalty.stamps_store, station])
        update_program(program=loyalty.stamps_program, cooldown_minutes=0, max_daily_stamps=2)
        carol = create_staff_pin(store=station, name="Carol", pin=CAROL_PIN)
        _key, station_key = create_api_key(
            name="Station till", scopes=["read", "write"], store=station
        )
        _key, bakery_key = create_api_key(
            name="Bakery till", scopes=["read", "write"], store=loyalty.points_store
        )
    connection.set_schema_to_public()
    return {
        "station": station,
        "carol": carol.pk,
        "station_key": station_key,
        "bakery_key": bakery_key,
    }


def _at_station(loyalty: Loyalty, chain: dict, card, **body):  # type: ignore[no-untyped-def]
    return stamp(
        loyalty,
        card,
        client=loyalty.api(chain["station_key"]),
        staff_pin_id=chain["carol"],
        pin=CAROL_PIN,
        **body,
    )


def test_a_card_enrolled_at_one_store_is_stamped_at_another(loyalty: Loyalty, chain: dict) -> None:
    card = new_card(loyalty, store_code="main")

    response = _at_station(loyalty, chain, card)

    assert response.status_code == 201, response.json()
    assert response.json()["card"]["stamp_count"] == 1
    with schema_context(loyalty.merchant.schema_name):
        row = LoyaltyTransaction.objects.get(card=card)
        assert row.store.code == "station"  # where it happened, not where the card was made
        assert reload(loyalty, card).store.code == "main"


def test_the_daily_limit_counts_the_stamps_given_at_every_store(
    loyalty: Loyalty, chain: dict
) -> None:
    card = new_card(loyalty, store_code="main")
    assert stamp(loyalty, card).status_code == 201  # at Main Street, Alice's PIN
    assert _at_station(loyalty, chain, card).status_code == 201

    third = _at_station(loyalty, chain, card)

    assert third.status_code == 409
    assert third.json()["code"] == "daily_limit_reached"
    assert reload(loyalty, card).stamp_count == 2


def test_a_key_limited_to_the_second_store_sees_the_card(loyalty: Loyalty, chain: dict) -> None:
    card = new_card(loyalty, store_code="main")

    at_station = loyalty.api(chain["station_key"]).get(
        f"/api/v1/vendor/loyalty/cards/{card.card_number}"
    )
    listed = loyalty.api(chain["station_key"]).get("/api/v1/vendor/loyalty/cards")
    at_bakery = loyalty.api(chain["bakery_key"]).get(
        f"/api/v1/vendor/loyalty/cards/{card.card_number}"
    )

    assert at_station.status_code == 200
    assert at_station.json()["store_code"] == "main"  # enrolled there
    assert [c["card_number"] for c in listed.json()["results"]] == [card.card_number]
    assert at_bakery.status_code == 404  # the bakery runs another programme


def test_a_store_outside_the_programme_cannot_stamp_its_cards(
    loyalty: Loyalty, chain: dict
) -> None:
    card = new_card(loyalty, store_code="main")

    refused = stamp(
        loyalty,
        card,
        client=loyalty.api(chain["bakery_key"]),
        staff_pin_id=loyalty.points_pin_id,
        pin="1397",
    )
    # An unrestricted key with the PIN of a bakery cashier: the operation would happen at the
    # bakery, where this card is not valid; the PIN is refused there, and not counted.
    through_wizamart = stamp(loyalty, card, staff_pin_id=loyalty.points_pin_id, pin="1397")

    assert refused.status_code == 404
    assert through_wizamart.status_code == 403
    assert through_wizamart.json()["code"] == "pin_invalid"
    assert reload(loyalty, card).stamp_count == 0


def test_an_unrestricted_key_records_the_store_of_the_staff_members_pin(
    loyalty: Loyalty, chain: dict
) -> None:
    card = new_card(loyalty, store_code="main")

    response = stamp(loyalty, card, staff_pin_id=chain["carol"], pin=CAROL_PIN)

    assert response.status_code == 201, response.json()
    with schema_context(loyalty.merchant.schema_name):
        assert LoyaltyTransaction.objects.get(card=card).store.code == "station"


def test_the_daily_limit_counts_days_in_the_time_zone_of_the_store_where_stamps_are_given(
    loyalty: Loyalty, chain: dict
) -> None:
    """Station moves to New York. At 03:30 in Luxembourg it is still yesterday evening there:
    two stamps given in New York in the evening and one at Main Street the next morning are in
    different days at each counter, so none is refused."""
    card = new_card(loyalty, store_code="main")
    with schema_context(loyalty.merchant.schema_name):
        Store.objects.filter(code="station").update(timezone="America/New_York")
        evening_in_new_york = dt.datetime(2026, 6, 2, 3, 30, tzinfo=ZoneInfo("Europe/Luxembourg"))

        def give(store_code: str, pin_id: int, pin: str, now: dt.datetime) -> None:
            add_stamps(
                card_number=card.card_number,
                staff=StaffAuth(staff_pin_id=pin_id, pin=pin),
                meta=RequestMeta(source="api", now=now),
                scope_store=Store.objects.get(code=store_code),
            )

        give("station", chain["carol"], CAROL_PIN, evening_in_new_york)
        give("station", chain["carol"], CAROL_PIN, evening_in_new_york + dt.timedelta(minutes=5))
        # 09:00 in Luxembourg, a new day at Main Street.
        give("main", loyalty.stamps_pin_id, STAMPS_PIN, evening_in_new_york + dt.timedelta(hours=6))

        assert reload(loyalty, card).stamp_count == 3


def test_a_terminal_at_the_second_store_opens_the_card(loyalty: Loyalty, chain: dict) -> None:
    from django.contrib.auth import get_user_model

    card = new_card(loyalty, store_code="main")
    with schema_context(loyalty.merchant.schema_name):
        get_user_model().objects.create_user(username="till", password="a long till password 1")
    till = client_for(loyalty.merchant)
    till.post("/staff/login/", {"username": "till", "password": "a long till password 1"})
    till.post("/staff/store/", {"store": "station"})

    screen = till.get(f"/staff/card/{card.card_number}/")

    assert screen.status_code == 200
    assert "Jane" in screen.content.decode()


def test_a_store_takes_part_in_one_programme_at_most(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        from programs.services import ProgramExists

        with pytest.raises(ProgramExists):
            set_program_stores(
                program=loyalty.stamps_program,
                stores=[loyalty.stamps_store, loyalty.points_store],
            )
        assert Store.objects.get(code="bakery").program_id == loyalty.points_program.pk


def test_the_api_creates_and_changes_a_programme_across_stores(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        create_store(name="Airport", code="airport")
        create_store(name="Harbour", code="harbour")
    api = loyalty.api()

    created = api.post(
        "/api/v1/vendor/loyalty/programs",
        {"store_codes": ["harbour", "airport"], "loyalty_type": "stamps", "stamps_target": 8},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["store_codes"] == ["airport", "harbour"]  # by name
    program_id = created.json()["id"]

    narrowed = api.patch(
        f"/api/v1/vendor/loyalty/programs/{program_id}",
        {"store_codes": ["harbour"]},
        content_type="application/json",
    )
    assert narrowed.status_code == 200, narrowed.json()
    assert narrowed.json()["store_codes"] == ["harbour"]

    taken = api.patch(
        f"/api/v1/vendor/loyalty/programs/{program_id}",
        {"store_codes": ["harbour", "bakery"]},
        content_type="application/json",
    )
    assert taken.status_code == 409
    assert taken.json()["code"] == "program_exists"

    by_one_store = loyalty.api(loyalty.stamps_store_key).patch(
        f"/api/v1/vendor/loyalty/programs/{loyalty.stamps_program.pk}",
        {"store_codes": ["main", "airport"]},
        content_type="application/json",
    )
    assert by_one_store.status_code == 403
    assert by_one_store.json()["code"] == "permission_denied"

    empty = api.patch(
        f"/api/v1/vendor/loyalty/programs/{program_id}",
        {"store_codes": []},
        content_type="application/json",
    )
    assert empty.status_code == 400
    assert "store_codes" in empty.json()["errors"]


def _migrate(*targets: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(list(targets))


def test_existing_programmes_keep_their_one_store_through_the_migration(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        expected = {code: Store.objects.get(code=code).program_id for code in ("main", "bakery")}
        leaf = MigrationExecutor(connection).loader.graph.leaf_nodes()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        _migrate(("programs", "0009_store_poster_opened_at"))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT store.code, program.id FROM programs_loyaltyprogram AS program"
                " JOIN programs_store AS store ON store.id = program.store_id"
            )
            assert dict(cursor.fetchall()) == expected

        _migrate(*leaf)

        assert {
            code: Store.objects.get(code=code).program_id for code in ("main", "bakery")
        } == expected
        assert LoyaltyProgram.objects.count() == 2
