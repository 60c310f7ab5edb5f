"""The back office's dashboard on the statistics' known data set: the same figures as the stats
API for the same range, the top customers, links into the filtered ledger, an empty merchant, a
cashier, and a bounded number of queries. And the ledger's "Download CSV"."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from cards.exports import TRANSACTION_CSV_COLUMNS
from cards.models import LoyaltyTransaction
from insights.customers import range_bounds
from merchants.models import Merchant
from programs.services import update_store
from tests.conftest import PASSWORD, Loyalty, client_for
from tests.insights.test_stats import URL, Shop

pytestmark = pytest.mark.django_db

# The dashboard's "last 30 days" ending on the data set's last day.
UNTIL = date(2026, 3, 15)
SINCE = UNTIL - timedelta(days=29)
DASHBOARD = {"days": "30", "until": UNTIL.isoformat()}
LEDGER = "/admin/cards/loyaltytransaction/"


def signed_in(merchant: Merchant, username: str | None = None) -> Client:
    client = client_for(merchant)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": username or f"owner@{merchant.slug}.example", "password": PASSWORD},
    )
    assert response.status_code == 302
    return client


def _page(client: Client, **params: str) -> str:
    response = client.get("/admin/", {**DASHBOARD, **params})
    assert response.status_code == 200
    return response.content.decode()


def _figures(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="([a-z_]+)" data-value="([^"]*)"', page))


def _links(page: str, attribute: str) -> dict[str, str]:
    """``{value of the attribute: the first link inside the element carrying it}``."""
    found = {}
    for value, body in re.findall(rf'{attribute}="([^"]+)"(.*?)</li>', page, re.S):
        found[value] = unescape(re.search(r'href="([^"]+)"', body).group(1))
    return found


def test_the_dashboard_shows_the_apis_figures_for_the_same_range(shop: Shop) -> None:
    loyalty = shop.loyalty
    page = _page(signed_in(loyalty.merchant))
    api = loyalty.api(loyalty.read_key).get(URL, {"since": SINCE, "until": UNTIL}).json()

    stamps = sum(day["stamps_earned"] for day in api["daily"])
    points = sum(day["points_issued"] for day in api["daily"])
    assert _figures(page) == {
        "cards_issued": str(api["cards_issued"]),
        "active_cards": str(api["active_cards"]),
        "stamps_earned": str(stamps),
        "points_issued": str(points),
        "rewards_redeemed": str(api["rewards_redeemed"]),
        "redemption_rate": str(api["redemption_rate"]),
        "repeat_visit_rate": str(api["repeat_visit_rate"]),
        "wallet_apple_share": str(api["wallet_apple_share"]),
        "wallet_google_share": str(api["wallet_google_share"]),
    }
    # And by hand: a, b, c, d, e, g issued; a 12, b 6, e 4, g 1 stamps; d 60 + 150 points
    assert (api["cards_issued"], stamps, points, api["rewards_redeemed"]) == (6, 23, 210, 2)
    assert "40%" in page and "28.6%" in page  # the redemption rate, the Apple Wallet share
    # Each chart's numbers, as a table for screen readers, are the API's daily series.
    for key in ("enrolments", "stamps_earned", "points_issued", "redemptions"):
        chart = re.search(rf'data-chart="{key}"(.*?)</figure>', page, re.S).group(1)
        cells = re.findall(r"<tr><td>[^<]+</td><td>(\d+)</td></tr>", chart)
        assert [int(cell) for cell in cells] == [day[key] for day in api["daily"]]
        assert "<title" in chart and "<desc" in chart
    # A store's figures are the API's for that store.
    main = _figures(_page(signed_in(loyalty.merchant), store="main"))
    api_main = loyalty.api().get(URL, {"since": SINCE, "until": UNTIL, "store": "main"}).json()
    assert main["cards_issued"] == str(api_main["cards_issued"]) == "5"
    assert main["redemption_rate"] == str(api_main["redemption_rate"])


def test_top_customers_by_operations_in_the_range(shop: Shop) -> None:
    page = _page(signed_in(shop.loyalty.merchant))

    top = re.findall(r'data-card="(\d+)"', page)
    cards = {card.card_number: name for name, card in shop.cards.items()}
    # a: 4 operations; d: 3; e and b: 2 each, e seen last; g: 1. c has none, f came later.
    assert [cards[number] for number in top] == ["a", "d", "e", "b", "g"]
    links = _links(page, "data-card")
    assert links[shop.cards["a"].card_number] == (
        f"/admin/cards/loyaltycard/{shop.cards['a'].pk}/change/"
    )
    assert "4 operations" in page


def _ledger_rows(client: Client, url: str) -> list[LoyaltyTransaction]:
    response = client.get(url)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_flagged_activity_links_to_its_rows_of_the_ledger(shop: Shop) -> None:
    loyalty = shop.loyalty
    client = signed_in(loyalty.merchant)
    flagged = _links(_page(client), "data-flag")
    start, end = range_bounds(since=SINCE, until=UNTIL)
    in_range = LoyaltyTransaction.objects.filter(created_at__gte=start, created_at__lt=end)

    card_url = flagged["card_at_limit"]
    card_rows = _ledger_rows(client, card_url)
    assert {row.pk for row in card_rows} == set(
        in_range.filter(card=shop.cards["a"]).values_list("pk", flat=True)
    )
    assert len(card_rows) == 4

    staff_url = flagged["staff_above_median"]
    assert parse_qs(urlsplit(staff_url).query)["staff_pin__id__exact"] == [
        str(loyalty.stamps_pin_id)
    ]
    assert {row.pk for row in _ledger_rows(client, staff_url)} == set(
        in_range.filter(staff_pin_id=loyalty.stamps_pin_id).values_list("pk", flat=True)
    )

    # Operations per store link to that store's rows.
    stores = dict(
        re.findall(
            r'<tr><td><a href="([^"]+)">([^<]+)</a></td><td class="dash-num">', _page(client)
        )
    )
    bakery_url = unescape(next(url for url, name in stores.items() if name == "Bakery"))
    assert {row.pk for row in _ledger_rows(client, bakery_url)} == set(
        in_range.filter(store=loyalty.points_store).values_list("pk", flat=True)
    )


def test_a_new_merchant_sees_what_will_appear(merchant: Merchant) -> None:
    client = signed_in(merchant)
    page = client.get("/admin/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "No cards yet." in text
    assert "Your most regular customers will be listed here." in text
    assert "Add your first store" in text
    assert _figures(text)["redemption_rate"] == ""  # nothing unlocked: no rate, not 0 %


def test_bad_range_parameters_fall_back_to_the_default(loyalty: Loyalty) -> None:
    client = signed_in(loyalty.merchant)
    for params in ({"days": "abc"}, {"days": "5"}, {"until": "0001-01-01"}, {"store": "x"}):
        assert client.get("/admin/", params).status_code == 200


def test_a_cashier_gets_the_terminal_not_the_figures(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        get_user_model().objects.create_user(
            username="cashier@alpha.example", password=PASSWORD, is_staff=True
        )
    page = signed_in(loyalty.merchant, "cashier@alpha.example").get("/admin/")

    assert page.status_code == 200
    assert b"Open the counter terminal" in page.content
    assert b"data-figure" not in page.content


def test_a_manager_who_may_read_the_ledger_sees_figures_without_other_links(shop: Shop) -> None:
    user = get_user_model().objects.create_user(
        username="manager@alpha.example", password=PASSWORD, is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="view_loyaltytransaction"))
    page = _page(signed_in(shop.loyalty.merchant, "manager@alpha.example"))

    assert _figures(page)["cards_issued"] == "6"
    assert "/admin/cards/loyaltycard/" not in page  # may not open cards
    assert "/poster/" not in page  # nor stores


def test_the_dashboards_queries_do_not_grow_with_the_data(shop: Shop) -> None:
    client = signed_in(shop.loyalty.merchant)
    with CaptureQueriesContext(connection) as before:
        _page(client)
    for n in range(6):
        card = shop.enroll("main", f"more{n}", "2026-03-11")
        shop.stamp(card, "2026-03-12", shop.carol)
        shop.points(shop.enroll("bakery", f"bakery{n}", "2026-03-11"), "2026-03-13", 500)
    with CaptureQueriesContext(connection) as after:
        _page(client)

    assert len(after) == len(before) <= 20


# --- The ledger's CSV


def _csv(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_csv_download_holds_exactly_the_filtered_rows(shop: Shop) -> None:
    loyalty = shop.loyalty
    client = signed_in(loyalty.merchant)
    filters = {
        "transaction_type__exact": "stamp_earned",
        "store__id__exact": str(loyalty.stamps_store.pk),
        "created_at_from": "2026-03-03",
        "created_at_to": "2026-03-10",
    }
    listed = client.get(LEDGER, filters)
    assert listed.status_code == 200
    shown = {row.pk for row in listed.context["cl"].result_list}
    # The list links its download with the same filters.
    link = unescape(re.search(r'href="([^"]*/csv/[^"]*)"', listed.content.decode()).group(1))
    assert parse_qs(urlsplit(link).query) == {key: [value] for key, value in filters.items()}

    rows = _csv(client.get(link))

    assert rows[0] == TRANSACTION_CSV_COLUMNS
    start, end = range_bounds(since=date(2026, 3, 3), until=date(2026, 3, 10))
    expected = LoyaltyTransaction.objects.filter(
        transaction_type="stamp_earned",
        store=loyalty.stamps_store,
        created_at__gte=start,
        created_at__lt=end,
    )
    assert {int(row[0]) for row in rows[1:]} == set(expected.values_list("pk", flat=True)) == shown
    assert len(rows) - 1 == 5  # a and b on 3 March, a on 5 March, b and g on 10 March


def test_the_csv_search_by_card_number_and_the_apis_columns(shop: Shop) -> None:
    loyalty = shop.loyalty
    number = shop.cards["d"].card_number
    rows = _csv(signed_in(loyalty.merchant).get(f"{LEDGER}csv/", {"q": number}))
    api = _csv(
        loyalty.api().get("/api/v1/vendor/loyalty/transactions?format=csv&store_code=bakery")
    )

    assert rows[0] == api[0] == TRANSACTION_CSV_COLUMNS
    assert {row[2] for row in rows[1:]} == {number}
    assert sorted(rows[1:]) == sorted(row for row in api[1:] if row[2] == number)


def test_the_csv_download_needs_the_ledger_permission(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        get_user_model().objects.create_user(
            username="cashier@alpha.example", password=PASSWORD, is_staff=True
        )
    client = signed_in(loyalty.merchant, "cashier@alpha.example")
    assert client.get(f"{LEDGER}csv/").status_code == 403


def test_operations_outside_opening_hours_link_to_the_stores_rows(shop: Shop) -> None:
    loyalty = shop.loyalty
    # The data set's operations are at noon: a store opening at 14:00 sees them all outside.
    afternoons = {day: [["14:00", "19:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat")}
    update_store(store=loyalty.stamps_store, opening_hours={**afternoons, "sun": []})
    client = signed_in(loyalty.merchant)

    url = _links(_page(client), "data-flag")["outside_hours"]

    assert parse_qs(urlsplit(url).query)["store__id__exact"] == [str(loyalty.stamps_store.pk)]
    start, end = range_bounds(since=SINCE, until=UNTIL)
    rows = _ledger_rows(client, url)
    assert rows and {row.store_id for row in rows} == {loyalty.stamps_store.pk}
    assert (
        len(rows)
        == LoyaltyTransaction.objects.filter(
            store=loyalty.stamps_store, created_at__gte=start, created_at__lt=end
        ).count()
    )
