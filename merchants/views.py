"""Pages on the platform host: the landing page and merchant sign-up."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from common.throttling import throttle_posts
from common.urls import absolute_url
from merchants.forms import SignupForm
from merchants.models import Merchant
from merchants.services import MerchantSignup, create_merchant


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "merchants/landing.html")


@require_http_methods(["GET", "POST"])
@throttle_posts("signup")
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            merchant = create_merchant(signup=MerchantSignup(**form.cleaned_data))
        except ValidationError as error:
            for field, errors in error.error_dict.items():
                for item in errors:
                    form.add_error(field if field in form.fields else None, item)
        else:
            return HttpResponseRedirect(absolute_url(merchant.primary_host, "/admin/"))
    return render(
        request, "merchants/signup.html", {"form": form}, status=400 if form.errors else 200
    )


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness for load balancers: the database answers.

    It says nothing about the business (not how many merchants there are): anyone may call it.
    """
    try:
        Merchant.objects.exists()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "schema": connection.schema_name})
