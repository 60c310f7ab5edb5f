from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from terminal import views

app_name = "terminal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.SignIn.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="/staff/login/"), name="logout"),
    path("store/", views.choose_store, name="store"),
    path("card/<str:number>/", views.card_screen, name="card"),
    path("card/<str:number>/<slug:action>/", views.operate, name="operate"),
]
