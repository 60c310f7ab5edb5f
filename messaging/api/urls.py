from __future__ import annotations

from django.urls import URLPattern, path

from messaging.api import views

# Under /api/v1/vendor/loyalty/ (SPEC §4).
vendor_urlpatterns: list[URLPattern] = [
    path("messages", views.MessageListCreateApi.as_view(), name="api-messages"),
    path("messages/preview", views.MessagePreviewApi.as_view(), name="api-messages-preview"),
    path("messages/<int:message_id>", views.MessageDetailApi.as_view(), name="api-message"),
    path(
        "messages/<int:message_id>/cancel",
        views.MessageCancelApi.as_view(),
        name="api-message-cancel",
    ),
]
