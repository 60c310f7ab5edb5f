from __future__ import annotations

from django.urls import path

from programs.api import views

vendor_urlpatterns = [
    path("programs", views.ProgramListCreateApi.as_view(), name="api-programs"),
    path("programs/<int:program_id>", views.ProgramDetailApi.as_view(), name="api-program"),
]
