"""Pages speak English, French, German and Luxembourgish from compiled gettext catalogues."""

from __future__ import annotations

import pytest
from django.test import Client

from merchants.models import Merchant
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "phrase"),
    [
        ("en", "Create your merchant account"),
        ("fr", "Créez votre compte commerçant"),
        ("de", "Erstellen Sie Ihr Händlerkonto"),
        ("lb", "Maacht Äre Kont als Commerçant op"),
    ],
)
def test_the_landing_page_follows_the_browser_language(language: str, phrase: str) -> None:
    response = client_for(None).get("/", headers={"accept-language": language})
    assert response.status_code == 200
    assert phrase in response.content.decode()
    assert f'<html lang="{language}">' in response.content.decode()


def test_sign_up_errors_are_translated(merchant: Merchant) -> None:
    response = client_for(None).post(
        "/signup/",
        {"name": "X", "slug": "alpha", "email": "a@b.example", "password": "x"},
        headers={"accept-language": "de"},
    )
    assert response.status_code == 400
    slug_errors = " ".join(response.context["form"].errors["slug"])
    assert "alpha" in slug_errors and "already taken" not in slug_errors


def test_the_language_switch_remembers_the_choice() -> None:
    client = client_for(None)
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert response.status_code == 302
    assert "Créez votre compte commerçant" in client.get("/").content.decode()


def test_the_unknown_host_page_is_translated_too() -> None:
    response = Client(HTTP_HOST="nobody.localhost").get("/", headers={"accept-language": "lb"})
    assert response.status_code == 404
    assert "Fidelitéitsprogramm" in response.content.decode()
