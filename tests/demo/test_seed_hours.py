"""The demo stores have opening hours, so the statistics' flag can show."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django_tenants.utils import schema_context

from programs.models import Store
from programs.selectors import is_outside_hours
from programs.services import update_store

pytestmark = pytest.mark.django_db

LUXEMBOURG = ZoneInfo("Europe/Luxembourg")


def test_the_demo_stores_have_opening_hours(settings: pytest.FixtureDef, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())

    with schema_context("demo"):
        cafe = Store.objects.get(code="main-street")
        sunday_noon = datetime(2026, 3, 8, 12, tzinfo=LUXEMBOURG)
        monday_noon = datetime(2026, 3, 9, 12, tzinfo=LUXEMBOURG)
        assert is_outside_hours(store=cafe, moment=sunday_noon) is True
        assert is_outside_hours(store=cafe, moment=monday_noon) is False
        assert Store.objects.get(code="harbour").opening_hours["mon"] == []
        # A demo seeded before stores had hours gets them on the next run
        update_store(store=cafe, opening_hours={})
    call_command("seed_demo", stdout=io.StringIO())
    with schema_context("demo"):
        assert Store.objects.get(code="main-street").opening_hours["sun"] == []
        assert Store.objects.get(code="main-street").opening_hours["mon"] == [["07:30", "18:00"]]
