"""A store's opening hours: the one rule for what a week may be, and the back office's form."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django_tenants.utils import schema_context

from merchants.models import Merchant
from programs.models import Store
from programs.rules import normalise_opening_hours
from programs.services import create_store, update_store
from tests.programs.factories import StoreFactory
from tests.programs.test_admin import signed_in

pytestmark = pytest.mark.django_db

CLOSED = {"tue": [], "wed": [], "thu": [], "fri": [], "sat": [], "sun": []}


def test_hours_are_stored_in_one_shape() -> None:
    assert normalise_opening_hours({"mon": [["14h", "19h"], ["8:00", "12.00"]]}) == {
        "mon": [["08:00", "12:00"], ["14:00", "19:00"]],
        **CLOSED,
    }
    # midnight closes the day; a period past midnight ends the next morning
    assert normalise_opening_hours({"fri": [["18:00", "00:00"]], "sat": [["18:00", "02:00"]]})[
        "fri"
    ] == [["18:00", "24:00"]]
    # a week without any period: the hours are not known
    assert normalise_opening_hours({"mon": [], "tue": []}) == {}
    assert normalise_opening_hours(None) == {}


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        (
            {"mon": [["08:00", "13:00"], ["12:00", "19:00"]]},
            "Monday: 12:00-19:00 overlaps Monday 08:00-13:00.",
        ),
        (
            {"tue": [["14:00", "12:00"]]},
            "Tuesday: 14:00-12:00 closes before it opens. Hours past midnight (e.g. "
            "18:00-02:00) end by 06:00 at the latest.",
        ),
        (
            {"sun": [["22:00", "03:00"]], "mon": [["02:00", "09:00"]]},
            "Monday: 02:00-09:00 overlaps Sunday 22:00-03:00.",
        ),
        (
            {"wed": [["09:00", "09:00"]]},
            "Wednesday: 09:00-09:00 opens and closes at the same time.",
        ),
        (
            {"thu": [["25:00", "26:00"]]},
            "Thursday: “25:00-26:00” is not a time of day (00:00 to 24:00).",
        ),
        (
            {"fri": [["soon", "later"]]},
            "Friday: write the hours like 08:00-12:00, 14:00-19:00, or leave the day empty if "
            "closed.",
        ),
        (
            {"sat": [["07:00", "09:00"], ["10:00", "12:00"], ["13:00", "15:00"]]},
            "Saturday: at most two opening periods a day, e.g. 08:00-12:00, 14:00-19:00.",
        ),
        (
            {"monday": [["08:00", "12:00"]]},
            "Opening hours are given per weekday (mon to sun) as a list of periods like "
            "[“08:00”, “12:00”].",
        ),
        ("08:00-12:00", None),
        ({"mon": "08:00-12:00"}, None),
        ({"mon": [["08:00"]]}, None),
        ({"mon": [[8, 12]]}, None),
    ],
)
def test_bad_hours_are_refused_in_plain_words(
    merchant: Merchant, hours: Any, message: str | None
) -> None:
    # In English whatever an earlier test left active: the messages are translated when read.
    with schema_context(merchant.schema_name), translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            create_store(name="Main", code="main", opening_hours=hours)
        messages = refused.value.message_dict["opening_hours"]
    shape = "Opening hours are given per weekday"
    assert messages == [message] if message else messages[0].startswith(shape)


def test_the_service_stores_and_clears_hours(merchant: Merchant) -> None:
    with schema_context(merchant.schema_name):
        store = create_store(name="Main", code="main", opening_hours={"mon": [["8h", "12h"]]})
        assert Store.objects.get(pk=store.pk).opening_hours == {
            "mon": [["08:00", "12:00"]],
            **CLOSED,
        }
        update_store(store=store, opening_hours={})
        assert Store.objects.get(pk=store.pk).opening_hours == {}


# --- The back office


def _form(store: Store, **days: str) -> dict[str, str]:
    keys = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    return {
        "name": store.name,
        "code": store.code,
        "is_active": "on",
        "address": "",
        "timezone": store.timezone,
        "latitude": "",
        "longitude": "",
        **{f"opening_hours_{n}": days.get(key, "") for n, key in enumerate(keys)},
    }


def test_the_store_form_has_a_line_per_weekday(merchant: Merchant) -> None:
    with schema_context(merchant.schema_name):
        store = StoreFactory(opening_hours={"mon": [["08:00", "12:00"], ["14:00", "19:00"]]})

    page = signed_in(merchant).get(f"/admin/programs/store/{store.pk}/change/")

    html = page.content.decode()
    assert page.status_code == 200
    assert '<label for="id_opening_hours_0">Monday</label>' in html
    assert '<label for="id_opening_hours_6">Sunday</label>' in html
    assert 'name="opening_hours_0" value="08:00-12:00, 14:00-19:00"' in html


def test_the_merchant_saves_hours_typed_as_they_say_them(merchant: Merchant) -> None:
    with schema_context(merchant.schema_name):
        store = StoreFactory()
    url = f"/admin/programs/store/{store.pk}/change/"

    response = signed_in(merchant).post(
        url, _form(store, mon="8h-12h, 14h-19h", fri="18:00 - 02:00")
    )

    assert response.status_code == 302
    with schema_context(merchant.schema_name):
        assert Store.objects.get(pk=store.pk).opening_hours == {
            "mon": [["08:00", "12:00"], ["14:00", "19:00"]],
            "tue": [],
            "wed": [],
            "thu": [],
            "fri": [["18:00", "02:00"]],
            "sat": [],
            "sun": [],
        }


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ({"mon": "08:00-13:00, 12:00-19:00"}, "Monday: 12:00-19:00 overlaps Monday 08:00-13:00."),
        (
            {"tue": "19:00-08:00"},
            "Tuesday: 19:00-08:00 closes before it opens. Hours past midnight (e.g. "
            "18:00-02:00) end by 06:00 at the latest.",
        ),
        (
            {"wed": "from nine"},
            "Wednesday: write the hours like 08:00-12:00, 14:00-19:00, or leave the day empty "
            "if closed.",
        ),
    ],
)
def test_bad_hours_are_shown_on_the_form(
    merchant: Merchant, days: dict[str, str], message: str
) -> None:
    with schema_context(merchant.schema_name):
        store = StoreFactory()

    response = signed_in(merchant).post(
        f"/admin/programs/store/{store.pk}/change/", _form(store, **days)
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors == {"opening_hours": [message]}
    with schema_context(merchant.schema_name):
        assert Store.objects.get(pk=store.pk).opening_hours == {}


def test_a_new_store_gets_its_hours(merchant: Merchant) -> None:
    form = {
        "name": "Corner",
        "code": "corner",
        "is_active": "on",
        "address": "",
        "timezone": "Europe/Luxembourg",
        "latitude": "",
        "longitude": "",
        "opening_hours_0": "",
        "opening_hours_1": "",
        "opening_hours_2": "",
        "opening_hours_3": "",
        "opening_hours_4": "",
        "opening_hours_5": "09:00-13:00",
        "opening_hours_6": "",
    }

    response = signed_in(merchant).post("/admin/programs/store/add/", form)

    assert response.status_code == 302
    with schema_context(merchant.schema_name):
        assert Store.objects.get(code="corner").opening_hours["sat"] == [["09:00", "13:00"]]


def test_the_errors_speak_the_merchants_language(merchant: Merchant) -> None:
    with schema_context(merchant.schema_name):
        store = StoreFactory()
    client = signed_in(merchant)

    response = client.post(
        f"/admin/programs/store/{store.pk}/change/",
        _form(store, mon="08:00-13:00, 12:00-19:00"),
        HTTP_ACCEPT_LANGUAGE="fr",
    )

    errors = response.context["adminform"].form.errors
    assert errors == {"opening_hours": ["Lundi\u00a0: 12:00-19:00 chevauche lundi 08:00-13:00."]}
