"""The platform's figures: the roll-up's exact values on a known data set across three merchants,
the platform admin API that serves them (pagination, filters, sorting, refusals, a query count
that does not grow with the merchants), the admin home's template, the command and the beat entry.

The roll-up after a real stamp, through the announcements and the coalescing window, is in
``test_platform_live.py`` (it needs real commits)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from io import StringIO
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django_tenants.utils import schema_context
from drf_spectacular.generators import SchemaGenerator

from cards.models import LoyaltyCard
from cards.services import StaffAuth, add_points, add_stamps, enroll_customer, redeem_points
from common.request_meta import RequestMeta
from insights.platform import platform_overview, rollup_all_merchants, rollup_merchant
from insights.selectors import merchant_stats
from insights.tasks import rollup_platform_task
from merchants.models import Merchant, MerchantFigures, ProgramDirectory
from programs.models import LoyaltyProgram
from programs.services import update_program
from tests.conftest import PASSWORD, POINTS_PIN, STAMPS_PIN, Loyalty, build_loyalty, client_for
from wallets.models import AppleRegistration, WalletPass

pytestmark = pytest.mark.django_db

STATS = "/api/v1/admin/loyalty/stats"
PROGRAMS = "/api/v1/admin/loyalty/programs"


@contextmanager
def clock(instant: datetime) -> Iterator[RequestMeta]:
    with mock.patch("django.utils.timezone.now", return_value=instant):
        yield RequestMeta(source="api", now=instant)


def enroll(store: str, email: str) -> LoyaltyCard:
    return enroll_customer(store_code=store, name=email, email=f"{email}@example.com").card


def stamps(card: LoyaltyCard, pin_id: int, quantity: int, meta: RequestMeta | None = None) -> None:
    add_stamps(
        card_number=card.card_number,
        staff=StaffAuth(pin_id, STAMPS_PIN),
        meta=meta or RequestMeta(source="api"),
        quantity=quantity,
    )


class Platform:
    def __init__(self, alpha: Loyalty, beta: Loyalty, gamma: Merchant) -> None:
        self.alpha, self.beta, self.gamma = alpha, beta, gamma


@pytest.fixture
def platform(
    loyalty: Loyalty, other_loyalty: Loyalty, make_merchant: Callable[..., Merchant]
) -> Platform:
    """alpha: a (3 stamps 60 days ago, 2 now; an Apple device), b (1 stamp), d (60 points, a
    cake redeemed; a Google object); beta: x (1 stamp), its points programme switched off;
    gamma: nothing at all."""
    gamma = make_merchant("gamma", name="Gamma Shop")
    with schema_context(loyalty.merchant.schema_name):
        LoyaltyProgram.objects.update(cooldown_minutes=0)
        with clock(timezone.now() - timedelta(days=60)) as meta:
            a = enroll("main", "a")
            stamps(a, loyalty.stamps_pin_id, 3, meta)  # outside the 30 days
        stamps(a, loyalty.stamps_pin_id, 2)
        b = enroll("main", "b")
        stamps(b, loyalty.stamps_pin_id, 1)
        d = enroll("bakery", "d")
        bob = StaffAuth(loyalty.points_pin_id, POINTS_PIN)
        add_points(
            card_number=d.card_number,
            purchase_amount_cents=4000,
            staff=bob,
            meta=RequestMeta(source="api"),
        )
        redeem_points(
            card_number=d.card_number, reward_id="cake", staff=bob, meta=RequestMeta(source="api")
        )
        apple = WalletPass.objects.create(card=a)
        AppleRegistration.objects.create(wallet_pass=apple, device_library_id="1", push_token="t")
        AppleRegistration.objects.create(wallet_pass=apple, device_library_id="2", push_token="t")
        WalletPass.objects.create(card=d, google_object_id="issuer.d")
        WalletPass.objects.create(card=b)  # a pass link, never added to a wallet
    with schema_context(other_loyalty.merchant.schema_name):
        x = enroll("main", "x")
        stamps(x, other_loyalty.stamps_pin_id, 1)
        update_program(program=other_loyalty.points_program, is_active=False)
    connection.set_schema_to_public()
    assert rollup_all_merchants() == 3
    return Platform(loyalty, other_loyalty, gamma)


def figures_of(merchant: Merchant) -> dict[str, object]:
    row = MerchantFigures.objects.get(merchant=merchant)
    return {
        name: getattr(row, name)
        for name in (
            "programs",
            "cards",
            "active_cards_30_days",
            "operations_30_days",
            "stamps_30_days",
            "points_30_days",
            "redemptions_30_days",
            "wallet_apple_cards",
            "wallet_google_cards",
        )
    }


ALPHA = {
    "programs": 2,
    "cards": 3,
    "active_cards_30_days": 3,  # a, b, d
    "operations_30_days": 4,  # a's 2 stamps (one operation), b's, d's points and its cake
    "stamps_30_days": 3,  # not a's 3 of 60 days ago
    "points_30_days": 60,  # 40 euros at 1.50 points a euro
    "redemptions_30_days": 1,
    "wallet_apple_cards": 1,  # a (two devices)
    "wallet_google_cards": 1,  # d
}
BETA = {
    "programs": 2,
    "cards": 1,
    "active_cards_30_days": 1,
    "operations_30_days": 1,
    "stamps_30_days": 1,
    "points_30_days": 0,
    "redemptions_30_days": 0,
    "wallet_apple_cards": 0,
    "wallet_google_cards": 0,
}
GAMMA = dict.fromkeys(BETA, 0)


def staff_client() -> Client:
    connection.set_schema_to_public()
    user = User.objects.create_user("platform-staff", "staff@platform.example", is_staff=True)
    client = client_for(None)
    client.force_login(user)
    return client


def test_the_rollup_computes_each_merchants_exact_figures(platform: Platform) -> None:
    assert figures_of(platform.alpha.merchant) == ALPHA
    assert figures_of(platform.beta.merchant) == BETA
    assert figures_of(platform.gamma) == GAMMA
    alpha = MerchantFigures.objects.get(merchant=platform.alpha.merchant)
    assert alpha.last_operation_at is not None
    assert MerchantFigures.objects.get(merchant=platform.gamma).last_operation_at is None

    directory = {
        (row.merchant.schema_name, row.store_code): (
            row.name,
            row.loyalty_type,
            row.is_active,
            row.cards,
        )
        for row in ProgramDirectory.objects.select_related("merchant")
    }
    assert directory == {
        ("alpha", "main"): ("Coffee Card", "stamps", True, 2),
        ("alpha", "bakery"): ("Bakery Points", "points", True, 1),
        ("beta", "main"): ("Coffee Card", "stamps", True, 1),
        ("beta", "bakery"): ("Bakery Points", "points", False, 0),
    }


def test_the_rollup_agrees_with_the_merchants_own_dashboard(platform: Platform) -> None:
    today = timezone.localdate()
    with schema_context(platform.alpha.merchant.schema_name):
        own = merchant_stats(since=today - timedelta(days=29), until=today)
    assert (own.cards_total, own.active_cards) == (ALPHA["cards"], ALPHA["active_cards_30_days"])
    assert sum(day.stamps_earned for day in own.daily) == ALPHA["stamps_30_days"]
    assert sum(day.points_issued for day in own.daily) == ALPHA["points_30_days"]
    assert sum(s.operations for s in own.operations_by_store) == ALPHA["operations_30_days"]
    assert (own.wallet_apple_cards, own.wallet_google_cards) == (1, 1)


def test_a_rollup_twice_changes_nothing_and_follows_removed_programmes(
    platform: Platform,
) -> None:
    before = figures_of(platform.alpha.merchant)
    rollup_merchant(merchant_id=platform.alpha.merchant.pk)
    assert figures_of(platform.alpha.merchant) == before
    assert ProgramDirectory.objects.filter(merchant=platform.alpha.merchant).count() == 2

    # A row for a programme that is gone (here: made up) disappears at the next roll-up.
    ProgramDirectory.objects.create(
        merchant=platform.alpha.merchant,
        program_id=999,
        name="Gone",
        loyalty_type="stamps",
        is_active=True,
        created_at=timezone.now(),
        updated_at=timezone.now(),
    )
    rollup_merchant(merchant_id=platform.alpha.merchant.pk)
    assert not ProgramDirectory.objects.filter(program_id=999).exists()
    assert rollup_merchant(merchant_id=10**6) is None


def test_the_30_days_move_on_without_activity(platform: Platform) -> None:
    rollup_merchant(merchant_id=platform.alpha.merchant.pk, now=timezone.now() + timedelta(days=45))
    later = figures_of(platform.alpha.merchant)
    assert later["cards"] == 3
    assert (later["operations_30_days"], later["active_cards_30_days"]) == (0, 0)


def test_the_overview_sums_the_merchants(platform: Platform) -> None:
    overview = platform_overview()
    assert (overview.merchants, overview.active_merchants) == (3, 3)
    assert overview.merchants_with_operations_30_days == 2
    for name in ALPHA:
        assert getattr(overview, name) == ALPHA[name] + BETA[name], name
    assert [row.slug for row in overview.top_merchants] == ["alpha", "beta", "gamma"]
    assert overview.oldest_rollup_at is not None
    assert overview.oldest_rollup_at <= overview.newest_rollup_at


def test_stats_endpoint_serves_the_figures_paginated_and_sorted(platform: Platform) -> None:
    client = staff_client()
    response = client.get(STATS)
    assert response.status_code == 200, response.content
    body = response.json()
    for name in ALPHA:
        assert body["platform"][name] == ALPHA[name] + BETA[name], name
    assert (body["platform"]["merchants"], body["platform"]["active_merchants"]) == (3, 3)
    assert body["count"] == 3
    assert [row["slug"] for row in body["results"]] == ["alpha", "beta", "gamma"]
    first = body["results"][0]
    assert {name: first[name] for name in ALPHA} == ALPHA
    assert first["name"] == "Alpha Shop" and first["rolled_up_at"]

    page = client.get(STATS, {"ordering": "name", "limit": 2}).json()
    assert [row["slug"] for row in page["results"]] == ["alpha", "beta"]
    assert page["next"] and page["previous"] is None
    page = client.get(STATS, {"ordering": "name", "limit": 2, "offset": 2}).json()
    assert [row["slug"] for row in page["results"]] == ["gamma"]
    page = client.get(STATS, {"ordering": "-name"}).json()
    assert [row["slug"] for row in page["results"]] == ["gamma", "beta", "alpha"]
    page = client.get(STATS, {"ordering": "cards"}).json()
    assert [row["slug"] for row in page["results"]] == ["gamma", "beta", "alpha"]

    refused = client.get(STATS, {"ordering": "password"})
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid" and "ordering" in refused.json()["errors"]


def test_a_merchant_not_rolled_up_yet_counts_with_zeros(
    platform: Platform, make_merchant: Callable[..., Merchant]
) -> None:
    make_merchant("delta")
    body = staff_client().get(STATS).json()
    assert body["platform"]["merchants"] == 4
    delta = next(row for row in body["results"] if row["slug"] == "delta")
    assert delta["cards"] == 0 and delta["rolled_up_at"] is None
    assert body["results"][-1]["slug"] == "delta"  # no figures: last


def test_programs_endpoint_lists_filters_and_paginates(platform: Platform) -> None:
    client = staff_client()
    body = client.get(PROGRAMS).json()
    assert body["count"] == 4
    assert [(row["merchant"], row["store_code"]) for row in body["results"]] == [
        ("alpha", "main"),
        ("alpha", "bakery"),
        ("beta", "main"),
        ("beta", "bakery"),
    ]
    first = body["results"][0]
    assert first["merchant_name"] == "Alpha Shop"
    assert first["program_id"] == platform.alpha.stamps_program.pk
    assert (first["name"], first["loyalty_type"], first["is_active"], first["cards"]) == (
        "Coffee Card",
        "stamps",
        True,
        2,
    )

    def listed(**params: object) -> list[tuple[str, str]]:
        response = client.get(PROGRAMS, params)
        assert response.status_code == 200, response.content
        return [(row["merchant"], row["store_code"]) for row in response.json()["results"]]

    assert listed(merchant="beta") == [("beta", "main"), ("beta", "bakery")]
    assert listed(merchant="nobody") == []
    assert listed(loyalty_type="points") == [("alpha", "bakery"), ("beta", "bakery")]
    assert listed(is_active="false") == [("beta", "bakery")]
    assert len(listed(is_active="true")) == 3
    assert listed(search="coffee", merchant="alpha") == [("alpha", "main")]
    assert listed(search="BAKERY", is_active="true") == [("alpha", "bakery")]
    assert len(listed(search="Beta Shop")) == 2

    page = client.get(PROGRAMS, {"limit": 3}).json()
    assert len(page["results"]) == 3 and page["next"]
    page = client.get(PROGRAMS, {"limit": 3, "offset": 3}).json()
    assert [row["merchant"] for row in page["results"]] == ["beta"] and page["next"] is None

    refused = client.get(PROGRAMS, {"loyalty_type": "coins"})
    assert refused.status_code == 400 and refused.json()["code"] == "invalid"


@pytest.mark.parametrize("url", [STATS, PROGRAMS])
def test_nobody_but_platform_staff_gets_anything(platform: Platform, url: str) -> None:
    anonymous = client_for(None).get(url)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    assert "platform" not in anonymous.json() and "results" not in anonymous.json()

    connection.set_schema_to_public()
    for name, flags in (("plain", {}), ("gone", {"is_staff": True, "is_active": False})):
        user = User.objects.create_user(name, f"{name}@platform.example", PASSWORD, **flags)
        client = client_for(None)
        client.force_login(user)
        refused = client.get(url)
        assert refused.status_code in (401, 403), (name, refused.status_code)
        assert refused.json()["code"] in ("not_authenticated", "permission_denied")
        assert "results" not in refused.json()

    # A merchant's owner, signed in to their own back office: that session means nothing on the
    # platform host, and the API does not exist on the merchant's.
    owner = client_for(platform.alpha.merchant)
    assert (
        owner.post(
            "/admin/login/", {"username": "owner@alpha.example", "password": PASSWORD}
        ).status_code
        == 302
    )
    assert owner.get(url).status_code == 404
    owner.defaults["HTTP_HOST"] = "localhost"
    assert owner.get(url).status_code == 401
    # Nor does a merchant's API key open it.
    keyed = client_for(None, HTTP_AUTHORIZATION=f"Bearer {platform.alpha.key}")
    assert keyed.get(url).status_code == 401


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_query_counts_do_not_grow_with_the_merchants(
    platform: Platform, make_merchant: Callable[..., Merchant]
) -> None:
    client = staff_client()
    before = {url: _queries(client, url) for url in (STATS, PROGRAMS)}
    for slug in ("delta", "epsilon", "zeta"):
        build_loyalty(make_merchant(slug))
    connection.set_schema_to_public()
    rollup_all_merchants()
    assert MerchantFigures.objects.count() == 6 and ProgramDirectory.objects.count() == 10
    after = {url: _queries(client, url) for url in (STATS, PROGRAMS)}
    assert after == before


def test_the_admin_home_template_renders_the_overview(platform: Platform) -> None:
    html = render_to_string(
        "admin/platform/_figures.html", {"platform_overview": platform_overview()}
    )
    assert "Platform figures" in html
    assert "Alpha Shop" in html and "Gamma Shop" in html
    assert f"<dd>{ALPHA['operations_30_days'] + BETA['operations_30_days']}</dd>" in html
    with translation.override("fr"):
        french = render_to_string(
            "admin/platform/_figures.html", {"platform_overview": platform_overview()}
        )
    assert "Chiffres de la plateforme" in french


def test_the_command_and_the_beat_task_roll_every_merchant_up(platform: Platform) -> None:
    MerchantFigures.objects.all().delete()
    out = StringIO()
    call_command("rollup_platform_stats", stdout=out)
    assert "Rolled up 3 merchant(s)" in out.getvalue()
    assert figures_of(platform.beta.merchant) == BETA

    MerchantFigures.objects.all().delete()
    call_command("rollup_platform_stats", merchant="gamma", stdout=StringIO())
    assert list(MerchantFigures.objects.values_list("merchant__schema_name", flat=True)) == [
        "gamma"
    ]

    assert rollup_platform_task.delay().get() == 3
    assert figures_of(platform.alpha.merchant) == ALPHA

    entry = settings.CELERY_BEAT_SCHEDULE["rollup-platform-stats"]
    assert entry["task"] == rollup_platform_task.name
    assert entry["schedule"].minute == {0, 15, 30, 45}


def test_the_platform_api_is_described() -> None:
    schema = SchemaGenerator(urlconf="loyalty_saas.urls_public").get_schema(
        request=None, public=True
    )
    assert set(schema["paths"]) == {STATS, PROGRAMS}
    stats = schema["paths"][STATS]["get"]
    assert stats["operationId"] == "platform_stats_retrieve"
    assert {"200", "400", "401", "403"} <= set(stats["responses"])


@pytest.mark.parametrize(
    "params",
    [
        {"offset": str(10**30)},
        {"limit": "-1", "offset": "x"},
        {"limit": str(10**30)},
        {"is_active": "maybe"},
        {"search": "x" * 200},
        {"merchant": "ä' OR 1=1 --"},
        {"ordering": ""},
        {"loyalty_type": ""},
    ],
)
def test_odd_query_values_get_a_4xx_or_an_answer_never_a_500(
    platform: Platform, params: dict[str, str]
) -> None:
    client = staff_client()
    for url in (STATS, PROGRAMS):
        response = client.get(url, params)
        assert response.status_code in (200, 400), (url, params, response.status_code)
        if response.status_code == 400:
            assert response.json()["code"] == "invalid"


def test_the_platform_admin_home_shows_the_figures_the_api_gives(platform: Platform) -> None:
    client = staff_client()
    api = client.get("/api/v1/admin/loyalty/stats").json()
    home = client.get("/admin/").content.decode()
    assert "Platform figures" in home and "Alpha Shop" in home
    assert f"<dd>{api['platform']['operations_30_days']}</dd>" in home
