"""Pages on the platform host: the landing page and merchant sign-up."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.throttling import throttle_posts
from common.urls import absolute_url
from merchants.forms import SignInLinksForm, SignupForm
from merchants.models import Merchant
from merchants.services import (
    MerchantSignup,
    create_merchant,
    issue_owner_sign_in_link,
    redeem_sign_in_link,
)

logger = logging.getLogger(__name__)

# The URL of a one-time sign-in link on a merchant host; the secret rides in the query string,
# whose values never reach the logs (common/log_redaction.py).
SIGN_IN_LINK_PATH = "/signin/link/"


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "merchants/landing.html", {"sign_in_form": SignInLinksForm()})


@require_http_methods(["GET", "POST"])
@throttle_posts("sign_in_links")
def sign_in(request: HttpRequest) -> HttpResponse:
    """E-mail the back-office sign-in pages of an address's merchants. The answer is the same
    whether the address has accounts or not, and the lookup runs in a task, so neither the page
    nor its timing tells who is a customer of the platform."""
    # A late import: merchants.tasks imports the services, as this module does.
    from merchants.tasks import send_sign_in_links_task

    form = SignInLinksForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            send_sign_in_links_task.delay(
                email=form.cleaned_data["email"], language=translation.get_language()
            )
        except Exception:
            # Same answer either way; the address is not logged (personal data).
            logger.exception("could not queue the sign-in links e-mail")
        return render(request, "merchants/sign_in_sent.html")
    return render(
        request, "merchants/sign_in.html", {"form": form}, status=400 if form.errors else 200
    )


@require_http_methods(["GET"])
def sign_in_with_link(request: HttpRequest) -> HttpResponse:
    """A merchant host's one-time sign-in link: signs its user in and opens the back office.
    A used, expired, forged or foreign link leads to the password sign-in page, with a word."""
    token = request.GET.get("token", "")
    user_id = redeem_sign_in_link(merchant=request.tenant, token=token) if token else None  # type: ignore[attr-defined]
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        messages.error(
            request,
            _(
                "This sign-in link has expired or was already used. Please sign in with your "
                "e-mail and password."
            ),
        )
        return HttpResponseRedirect(reverse("backoffice:login"))
    # No password was typed, so no authentication backend is asked (django-axes counts failed
    # passwords only); the session is this merchant's, in its own schema.
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return HttpResponseRedirect(reverse("backoffice:index"))


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
            token = issue_owner_sign_in_link(merchant=merchant)
            query = urlencode({"token": token})
            return HttpResponseRedirect(
                absolute_url(merchant.primary_host, f"{SIGN_IN_LINK_PATH}?{query}")
            )
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
