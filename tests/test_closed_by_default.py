"""Closed by default: every URL of both URL confs refuses a caller without credentials, except the
public endpoints listed below, each with its reason.

The endpoints are read from the URL resolvers (through every ``include()`` and both admin sites),
not from a hand-written list: a new URL is checked the day it appears, and fails here unless it
refuses an anonymous caller or is added to ``PUBLIC`` with a reason. An entry of ``PUBLIC`` that no
longer matches a URL fails too, so the list cannot silently grow stale.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils.regex_helper import normalize
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from django_tenants.utils import schema_context

from merchants.models import Merchant
from programs.models import Store
from tests.cards.helpers import new_card, stamp
from tests.conftest import Loyalty, client_for
from wallets.services import ensure_wallet_pass

pytestmark = pytest.mark.django_db

PUBLIC_URLCONF = "loyalty_saas.urls_public"
TENANT_URLCONF = "loyalty_saas.urls_tenant"

APPLE_DEVICE = "api/v1/loyalty/apple/v1/devices/<str:device_library_id>"
# Route (as the resolvers spell it, includes joined) -> why anyone may call it.
PUBLIC: dict[str, dict[str, str]] = {
    PUBLIC_URLCONF: {
        "": "the platform's landing page",
        "signup/": "merchants sign up before they have an account",
        "signin/": "merchants ask for their back-office sign-in pages by e-mail before signing "
        "in; the answer is the same for any address (throttled)",
        "healthz": "load balancers and uptime checks probe it without credentials",
        "i18n/setlang/": "visitors pick their language before signing in",
        "admin/login/": "the platform admin's sign-in page",
        "admin/logout/": "signing out needs no account (it sends a visitor to the sign-in page)",
    },
    TENANT_URLCONF: {
        "": "the merchant's home page",
        "healthz": "load balancers and uptime checks probe it without credentials",
        "i18n/setlang/": "customers and staff pick their language before signing in",
        "admin/login/": "the back office's sign-in page",
        "admin/logout/": "signing out needs no account (it sends a visitor to the sign-in page)",
        "staff/login/": "the staff terminal's sign-in page",
        "signin/link/": "a one-time sign-in link (after sign-up): its single-use, short-lived "
        "secret is the credential; without a valid one it leads to the sign-in page",
        "staff/logout/": "signing out needs no account (it sends a visitor to the sign-in page)",
        "join/<str:store_code>/": "customers join the programme from the poster in the shop",
        "join/<str:store_code>/lost/": "customers who lost their card ask for its link, which "
        "goes only to the card's own e-mail address",
        "join/<str:store_code>/privacy/": "the privacy notice the join form links to: what the "
        "merchant keeps about members and how to have a copy or have it erased",
        "c/<str:token>/": "the customer's card page; its unguessable token is the credential",
        "c/<str:token>/state/": "the card page's live parts (polled by the open page), under the "
        "same token",
        "c/<str:token>/qr.svg": "the QR code of that card page, under the same token",
        "c/<str:token>/data/": "the card page's holder asks for their data or its erasure; only "
        "a confirmation link goes, to the card's own e-mail (throttled with enrollment)",
        "my-data/": "that e-mailed link: its signed, single-use, expiring token is the credential",
        "api/v1/loyalty/enroll/<str:store_code>": "public enrollment (throttled per client)",
        "api/v1/loyalty/card-link/<str:store_code>": "a card's link, e-mailed only to the card's "
        "own address; the answer is the same for any address (throttled with enrollment)",
        "api/v1/loyalty/passes/apple/<str:serial>.pkpass": "a customer's Apple pass; its random "
        "serial is the credential, as Apple Wallet fetches it without an account",
        "api/v1/loyalty/passes/google/<str:serial>": "the link to save a customer's pass in "
        "Google Wallet, under the same random serial",
        "api/v1/loyalty/passes/google/logo/<int:program_id>.png": "a programme's default logo, "
        "which Google Wallet fetches without an account (the card colour and an initial)",
        f"{APPLE_DEVICE}/registrations/<str:pass_type_id>/<str:serial_number>": "Apple Wallet "
        "registers a device for a pass's pushes without an account; the pass's own token "
        "(ApplePass) is the credential",
        f"{APPLE_DEVICE}/registrations/<str:pass_type_id>": "Apple Wallet asks which passes "
        "changed with no credential (Apple sends none); the answer holds serial numbers only "
        "(throttled per client)",
        "api/v1/loyalty/apple/v1/passes/<str:pass_type_id>/<str:serial_number>": "Apple Wallet "
        "downloads a pass's new version; the pass's own token (ApplePass) is the credential",
        "api/v1/loyalty/apple/v1/log": "Apple Wallet reports its errors with this web service "
        "(logged, bounded, throttled per client)",
        "api/schema/": "the API's description is public so integrators can read it",
        "api/docs/": "the API's documentation page, built on that description",
        "media/<path:path>": "programme logos, shown to anyone on the join and card pages",
    },
}

# Where a page sends a visitor without a session.
LOGIN_PAGES = {"/admin/login/", "/staff/login/"}
API_REFUSALS = {401: "not_authenticated", 403: "permission_denied"}


@dataclass(frozen=True)
class Endpoint:
    patterns: tuple[RoutePattern | RegexPattern, ...]  # from the URL conf's root to the view
    callback: Callable[..., HttpResponse]

    @property
    def route(self) -> str:
        return "".join(str(pattern) for pattern in self.patterns)

    def methods(self) -> list[str]:
        """The methods the view answers (GET and POST for a function view, which cannot say)."""
        view_class = getattr(self.callback, "view_class", None)
        if view_class is None:
            return ["GET", "POST"]
        return [
            method.upper()
            for method in view_class.http_method_names
            if method not in {"head", "options"} and hasattr(view_class, method)
        ]


def endpoints(urlconf: str) -> list[Endpoint]:
    def walk(entries: list, parents: tuple) -> Iterator[Endpoint]:
        for entry in entries:
            chain = (*parents, entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, chain)
            else:
                assert isinstance(entry, URLPattern)
                yield Endpoint(chain, entry.callback)

    return list(walk(get_resolver(urlconf).url_patterns, ()))


_ADMIN_MODEL = re.compile(r"^admin/(?P<app_label>\w+)/(?P<model_name>\w+)/$")
_ADMIN_SHORTCUT = re.compile(r"^admin/r/(?P<content_type_id>\d+)/$")


class Samples:
    """Plausible values for the URL parameters: codes, numbers and ids of rows that exist."""

    def __init__(self, schema_name: str, values: dict[str, str], shortcut_target: Model) -> None:
        self.schema_name = schema_name
        self.values = values
        self.shortcut_target = shortcut_target  # the row the admin's "view on site" URL names

    def __call__(self, name: str, prefix: str, route: str) -> str:
        if name == "object_id":
            return self._object_id(prefix, route)
        assert name in self.values, f"{route}: no sample value for <{name}>, add one to the test"
        return self.values[name]

    def _object_id(self, prefix: str, route: str) -> str:
        if _ADMIN_SHORTCUT.match(prefix):
            return str(self.shortcut_target.pk)
        match = _ADMIN_MODEL.match(prefix)
        assert match, f"{route}: which model does <object_id> name? Teach the test."
        model = apps.get_model(match["app_label"], match["model_name"])
        with schema_context(self.schema_name):
            pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        # A model with no row yet still gets an id: the refusal must come before any lookup.
        return str(pk if pk is not None else 1)


def concrete_path(endpoint: Endpoint, samples: Samples) -> str:
    path = ""
    for pattern in endpoint.patterns:
        if isinstance(pattern, RoutePattern):
            # Left to right: the value of <object_id> depends on what comes before it.
            for literal, name in re.findall(r"([^<]*)(?:<(?:[^>:]+:)?([^>]+)>)?", str(pattern)):
                path += literal + (samples(name, path + literal, endpoint.route) if name else "")
        else:  # a regular expression: fill its named groups (the first alternative of each)
            template, names = normalize(pattern.regex.pattern)[0]
            path += template % {name: samples(name, path, endpoint.route) for name in names}
    return "/" + path


def refusal_problem(path: str, response: HttpResponse) -> str | None:
    """None when the response refuses an anonymous caller as it should, else what is wrong."""
    status = response.status_code
    if path.startswith("/api/"):
        if status not in API_REFUSALS:
            return f"answered {status}, not 401/403"
        if not response.get("Content-Type", "").startswith("application/json"):
            return f"answered {status} without a JSON body"
        code = response.json().get("code")
        if code not in API_REFUSALS.values():
            return f"answered {status} with code {code!r}"
        return None
    if status != 302:
        return f"answered {status}, not a redirect to a sign-in page"
    location = urlsplit(response["Location"])
    if location.path not in LOGIN_PAGES:
        return f"redirected to {response['Location']}, not to a sign-in page"
    if parse_qs(location.query).get("next") != [path]:
        return f"redirected to {response['Location']}, which does not lead back to {path}"
    return None


def check_urlconf(urlconf: str, client: Client, samples: Samples) -> list[str]:
    """Every endpoint of the URL conf: the problems found (empty when all is well)."""
    problems: list[str] = []
    public = PUBLIC[urlconf]
    found = endpoints(urlconf)
    for route in sorted(set(public) - {endpoint.route for endpoint in found}):
        problems.append(f"{route!r} is listed as public but no URL pattern has that route")
    for endpoint in found:
        path = concrete_path(endpoint, samples)
        if resolve(path, urlconf).func is not endpoint.callback:
            problems.append(f"{endpoint.route}: the sample path {path} reaches another view")
            continue
        if endpoint.route in public:
            # Public for real: listing a URL that refuses anyway would hide a mistake.
            if refusal_problem(path, client.get(path)) is None:
                problems.append(f"{endpoint.route} refuses anonymous callers: not public")
            continue
        for method in endpoint.methods():
            response = client.generic(method, path)
            problem = refusal_problem(path, response)
            if problem:
                problems.append(f"{method} {path} ({endpoint.route}) {problem}")
    return problems


@pytest.fixture
def platform_samples(loyalty: Loyalty) -> Samples:
    connection.set_schema_to_public()
    # A row for every model of the platform admin, so each <object_id> names one that exists.
    User.objects.create_user("platform-staff", "staff@platform.example", is_staff=True)
    Group.objects.create(name="Support")
    interval = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    CrontabSchedule.objects.create(minute="0", hour="3")
    SolarSchedule.objects.create(event="sunrise", latitude=49.61, longitude=6.13)
    ClockedSchedule.objects.create(clocked_time="2030-01-01T00:00:00Z")
    PeriodicTask.objects.create(name="probe", task="probe", interval=interval)
    merchant = Merchant.objects.get(pk=loyalty.merchant.pk)
    values = {
        "id": str(User.objects.get(username="platform-staff").pk),
        "content_type_id": str(ContentType.objects.get_for_model(Merchant).pk),
        "app_label": "merchants",
        "url": "no-such-page/",
    }
    return Samples("public", values, merchant)


@pytest.fixture
def merchant_samples(loyalty: Loyalty) -> Samples:
    card = new_card(loyalty)
    assert stamp(loyalty, card).status_code == 201  # a ledger row besides the enrollment
    with schema_context(loyalty.merchant.schema_name):
        Group.objects.create(name="Cashiers")
        owner = User.objects.order_by("pk").first()
        assert owner is not None
        content_type = ContentType.objects.get_for_model(Store)
        serial = ensure_wallet_pass(card=card).apple_serial_number
    connection.set_schema_to_public()
    values = {
        "store_code": loyalty.stamps_store.code,
        "token": card.public_token,
        "card_number": card.card_number,
        "number": card.card_number,
        "action": "stamp",
        "program_id": str(loyalty.stamps_program.pk),
        "pin_id": str(loyalty.stamps_pin_id),
        "message_id": "1",
        "customer_id": str(card.customer_id),
        "id": str(owner.pk),
        "content_type_id": str(content_type.pk),
        "app_label": "programs",
        "url": "no-such-page/",
        "serial": serial,
        "serial_number": serial,
        "device_library_id": "0123456789abcdef",
        "pass_type_id": "pass.example.loyalty",
        "path": f"{loyalty.merchant.schema_name}/logos/none.png",
    }
    return Samples(loyalty.merchant.schema_name, values, loyalty.stamps_store)


def test_every_platform_url_refuses_anonymous_callers_unless_public(
    platform_samples: Samples,
) -> None:
    problems = check_urlconf(PUBLIC_URLCONF, client_for(None), platform_samples)
    assert not problems, "\n".join(problems)


def test_every_merchant_url_refuses_anonymous_callers_unless_public(
    loyalty: Loyalty, merchant_samples: Samples
) -> None:
    problems = check_urlconf(TENANT_URLCONF, client_for(loyalty.merchant), merchant_samples)
    assert not problems, "\n".join(problems)


def test_the_walk_reaches_the_api_and_both_admin_sites() -> None:
    """The check above is only as good as the walk: it must see through include() and the admin
    sites, or it would pass on an empty list."""
    platform = {endpoint.route for endpoint in endpoints(PUBLIC_URLCONF)}
    merchant = {endpoint.route for endpoint in endpoints(TENANT_URLCONF)}

    assert "admin/merchants/merchant/<path:object_id>/change/" in platform
    assert "admin/cards/loyaltycard/<path:object_id>/correct/" in merchant
    assert "api/v1/vendor/loyalty/stamp" in merchant
    assert "staff/card/<str:number>/<slug:action>/" in merchant
