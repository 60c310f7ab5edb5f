"""In Luxembourgish, the messages Django and DRF write into our pages and API answers are
Luxembourgish too (locale_thirdparty/: neither project translates them into lb)."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import django
import pytest
import rest_framework
from django.conf import settings

from tests.conftest import PASSWORD, Loyalty, client_for

ROOT = Path(__file__).resolve().parent.parent
THIRD_PARTY = ROOT / "locale_thirdparty" / "lb" / "LC_MESSAGES"
LB = {"accept-language": "lb"}

REQUIRED = "Dëst Feld ass obligatoresch."


@pytest.mark.django_db
def test_the_join_page_shows_form_errors_in_luxembourgish(loyalty: Loyalty) -> None:
    response = client_for(loyalty.merchant).post(
        "/join/main/", {"name": "", "email": "not an address", "locale": "xx"}, headers=LB
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert '<html lang="lb">' in html
    assert REQUIRED in html
    assert "Gitt w.e.g. eng gëlteg E-Mail-Adress an." in html
    assert "Wielt w.e.g. eng gëlteg Optioun. xx ass keng vun de méiglechen Optiounen." in html
    for english in ("This field is required.", "Enter a valid email address.", "valid choice"):
        assert english not in html


@pytest.mark.django_db
def test_the_join_page_in_english_is_unchanged(loyalty: Loyalty) -> None:
    response = client_for(loyalty.merchant).post(
        "/join/main/", {"name": ""}, headers={"accept-language": "en"}
    )
    assert "This field is required." in response.content.decode()


@pytest.mark.django_db
def test_api_validation_errors_are_luxembourgish(loyalty: Loyalty) -> None:
    response = client_for(loyalty.merchant).post(
        "/api/v1/loyalty/enroll/main",
        {"email": "jane@example.com", "marketing_consent": "maybe", "name": "x" * 201},
        content_type="application/json",
        headers=LB,
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["marketing_consent"] == ["Muss e gëltege Wourechtswäert sinn."]
    assert errors["name"] == ["Dëst Feld däerf net méi wéi 200 Zeechen hunn."]

    response = client_for(loyalty.merchant).post(
        "/api/v1/loyalty/enroll/main", {}, content_type="application/json", headers=LB
    )
    assert response.json()["errors"]["email"] == [REQUIRED]


@pytest.mark.django_db
def test_api_refusals_written_by_drf_are_luxembourgish(loyalty: Loyalty) -> None:
    api = client_for(loyalty.merchant)
    unauthenticated = api.get("/api/v1/vendor/loyalty/transactions", headers=LB)
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["detail"] == "D'Umeldungsdate feelen."

    wrong_method = loyalty.api().delete("/api/v1/vendor/loyalty/transactions", headers=LB)
    assert wrong_method.status_code == 405
    assert wrong_method.json()["detail"] == "D'Method „DELETE“ ass net erlaabt."

    bad_filter = loyalty.api().get(
        "/api/v1/vendor/loyalty/transactions?since=yesterday", headers=LB
    )
    assert bad_filter.status_code == 400
    assert bad_filter.json()["errors"]["since"] == ["Gitt w.e.g. e gëltegen Datum mat Auerzäit an."]


@pytest.mark.django_db
def test_the_back_office_sign_in_page_is_luxembourgish(loyalty: Loyalty) -> None:
    page = client_for(loyalty.merchant).get("/admin/login/?next=/admin/", headers=LB)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="lb"' in html
    assert "Passwuert" in html
    assert re.search(r"<button[^>]*>\s*Aloggen", html)
    assert "Log in" not in html and "Password:" not in html


@pytest.mark.django_db
def test_the_back_office_chrome_is_luxembourgish(loyalty: Loyalty) -> None:
    client = client_for(loyalty.merchant)
    signed_in = client.post(
        "/admin/login/?next=/admin/",
        {"username": f"owner@{loyalty.merchant.slug}.example", "password": PASSWORD},
        headers=LB,
    )
    assert signed_in.status_code == 302
    html = client.get("/admin/cards/loyaltycard/", headers=LB).content.decode()
    assert "Fidelitéitskaart auswielen fir ze kucken" in html  # "Select %s to view"
    assert "Ausloggen" in html
    assert "Passwuert änneren" in html
    assert "Sichen" in html  # the search field's placeholder
    for english in ("to view", "Log out", "Change password"):
        assert english not in html


def _messages(mo: Path) -> set:
    with mo.open("rb") as handle:
        return {key for key in gettext.GNUTranslations(handle)._catalog if key}  # type: ignore[attr-defined]


def _upstream_messages() -> set:
    """Every msgid (and msgctxt) Django and DRF translate into French or German."""
    roots = [
        Path(django.__file__).parent / "conf" / "locale",
        Path(django.__file__).parent / "contrib" / "admin" / "locale",
        Path(django.__file__).parent / "contrib" / "auth" / "locale",
        Path(rest_framework.__file__).parent / "locale",
    ]
    found: set = set()
    for root in roots:
        for language in ("fr", "de"):
            for mo in (root / language / "LC_MESSAGES").glob("*.mo"):
                found |= {(mo.stem, key) for key in _messages(mo)}
    return found


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_every_third_party_translation_is_an_upstream_message(domain: str) -> None:
    """After a Django or DRF upgrade that reworded a message, the stale entry shows up here."""
    ours = _messages(THIRD_PARTY / f"{domain}.mo")
    assert len(ours) > (300 if domain == "django" else 60)
    upstream = _upstream_messages()
    assert sorted(str(key) for key in ours if (domain, key) not in upstream) == []


def test_the_third_party_catalogue_comes_after_ours() -> None:
    """Ours wins where both translate a msgid (LOCALE_PATHS: the first one wins)."""
    names = [Path(p).name for p in settings.LOCALE_PATHS]
    assert names == ["locale", "locale_thirdparty", "locale_unfold"]
