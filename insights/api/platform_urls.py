from __future__ import annotations

from django.urls import URLPattern, path

from insights.api import platform

# Under /api/v1/admin/loyalty/ on the platform host (SPEC §4).
platform_urlpatterns: list[URLPattern] = [
    path("programs", platform.PlatformProgramListApi.as_view(), name="platform-api-programs"),
    path("stats", platform.PlatformStatsApi.as_view(), name="platform-api-stats"),
]
