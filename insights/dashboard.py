"""The back office's home page (django-unfold's ``DASHBOARD_CALLBACK``): the set-up checklist and
the programme's figures, both read through the selectors the API uses."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from insights.backoffice import dashboard_context
from insights.onboarding import checklist_context
from insights.platform import platform_overview


def dashboard_callback(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    context.update(checklist_context(request))
    context.update(dashboard_context(request))
    return context


def platform_dashboard_callback(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    """The platform admin's home: the figures ``GET /api/v1/admin/loyalty/stats`` answers."""
    context["platform_overview"] = platform_overview()
    return context
