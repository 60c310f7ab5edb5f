from __future__ import annotations

from django.urls import path

from cards.api import views

public_urlpatterns = [
    path("enroll/<str:store_code>", views.EnrollApi.as_view(), name="api-enroll"),
]

vendor_urlpatterns = [
    path("cards", views.CardListApi.as_view(), name="api-cards"),
    path("cards/<str:card_number>", views.CardDetailApi.as_view(), name="api-card"),
]
