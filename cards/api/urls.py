from __future__ import annotations

from django.urls import path

from cards.api import views

public_urlpatterns = [
    path("enroll/<str:store_code>", views.EnrollApi.as_view(), name="api-enroll"),
    path("card-link/<str:store_code>", views.CardLinkApi.as_view(), name="api-card-link"),
]

vendor_urlpatterns = [
    path("cards", views.CardListApi.as_view(), name="api-cards"),
    path("cards/<str:card_number>", views.CardDetailApi.as_view(), name="api-card"),
    path("stamp", views.StampCreateApi.as_view(), name="api-stamp"),
    path("points", views.PointsCreateApi.as_view(), name="api-points"),
    path("stamps/redeem", views.StampRedeemApi.as_view(), name="api-stamps-redeem"),
    path("points/redeem", views.PointsRedeemApi.as_view(), name="api-points-redeem"),
    path("transactions", views.TransactionListApi.as_view(), name="api-transactions"),
    path("customers", views.CustomerListCreateApi.as_view(), name="api-customers"),
    path("customers/<int:customer_id>", views.CustomerDetailApi.as_view(), name="api-customer"),
    path(
        "customers/<int:customer_id>/export",
        views.CustomerExportApi.as_view(),
        name="api-customer-export",
    ),
    path(
        "customers/<int:customer_id>/erase",
        views.CustomerEraseApi.as_view(),
        name="api-customer-erase",
    ),
]
