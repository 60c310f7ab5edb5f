"""The staff terminal: sign in, pick the store (remembered on the device), find a card by typing or
scanning it, then add stamps or points or redeem, with the staff member's PIN.

Interfaces only: the rules are the engine's (cards.services), the same as the API's. Every form
works without JavaScript; the scanner and the PIN keypad are enhancements.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, time
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from cards.models import LoyaltyCard, LoyaltyTransaction, TransactionSource, TransactionType
from cards.numbers import normalise_card_number
from cards.selectors import get_card
from cards.services import (
    StaffAuth,
    add_points,
    add_stamps,
    redeem_points,
    redeem_stamps,
)
from common.errors import ApplicationError
from common.idempotency import IdempotencyKey, Outcome, fingerprint, run_idempotently
from common.request_meta import RequestMeta
from programs.models import Store
from programs.selectors import store_by_code
from staff.models import StaffPin
from staff.selectors import terminal_stores
from terminal.forms import (
    LookupForm,
    PointsForm,
    RedeemPointsForm,
    RedeemStampsForm,
    StaffMixin,
    StampForm,
)

STORE_COOKIE = "staff_store"
STORE_COOKIE_SALT = "staff-terminal-store"
LOGIN_URL = "/staff/login/"

ACTIONS: dict[str, type[StaffMixin]] = {
    "stamp": StampForm,
    "points": PointsForm,
    "redeem-stamps": RedeemStampsForm,
    "redeem-points": RedeemPointsForm,
}


def _terminal_store(request: HttpRequest) -> Store | None:
    code = request.get_signed_cookie(STORE_COOKIE, default=None, salt=STORE_COOKIE_SALT)
    store = store_by_code(code) if code else None
    if store is None or not store.is_active:
        return None
    # The cookie belongs to the device, which cashiers of other stores may share.
    return store if terminal_stores(user=request.user).filter(pk=store.pk).exists() else None


def terminal(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, with a store chosen on this device."""

    @login_required(login_url=LOGIN_URL)
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        store = _terminal_store(request)
        if store is None:
            return HttpResponseRedirect(reverse("terminal:store"))
        return view(request, store, *args, **kwargs)

    return wrapper


@login_required(login_url=LOGIN_URL)
@require_http_methods(["GET", "POST"])
def choose_store(request: HttpRequest) -> HttpResponse:
    stores = list(terminal_stores(user=request.user))
    if request.method == "POST":
        chosen = next((s for s in stores if s.code == request.POST.get("store")), None)
        if chosen is not None:
            response = HttpResponseRedirect(reverse("terminal:home"))
            response.set_signed_cookie(
                STORE_COOKIE,
                chosen.code,
                salt=STORE_COOKIE_SALT,
                max_age=365 * 24 * 3600,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
            return response
    return render(
        request, "terminal/store.html", {"stores": stores, "current": _terminal_store(request)}
    )


@terminal
@require_http_methods(["GET"])
def home(request: HttpRequest, store: Store) -> HttpResponse:
    form = LookupForm(request.GET or None)
    status = 200
    if request.GET and form.is_valid():
        number = normalise_card_number(form.cleaned_data["number"])
        try:
            card = get_card(card_number=number, store=store)
        except ApplicationError as error:
            form.add_error("number", str(error.message))
            status = 404 if error.status_code == 404 else 400
        else:
            return HttpResponseRedirect(reverse("terminal:card", args=[card.card_number]))
    return render(
        request,
        "terminal/home.html",
        {"store": store, "form": form, "shift": _shift(store)},
        status=status,
    )


@terminal
@require_http_methods(["GET"])
def card_screen(request: HttpRequest, store: Store, number: str) -> HttpResponse:
    try:
        card = get_card(card_number=number, store=store)
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return HttpResponseRedirect(reverse("terminal:home"))
    return _render_card(request, store, card)


@terminal
@require_POST
def operate(request: HttpRequest, store: Store, number: str, action: str) -> HttpResponse:
    try:
        card = get_card(card_number=number, store=store)
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return HttpResponseRedirect(reverse("terminal:home"))
    form_class = ACTIONS.get(action)
    if form_class is None:
        return HttpResponseRedirect(reverse("terminal:card", args=[card.card_number]))
    form = _form(form_class, card, _active_pins(store), data=request.POST)
    if not form.is_valid():
        return _render_card(request, store, card, bound={action: form}, status=400)

    fields = form.cleaned_data
    # One token per rendered form: a double tap or a resent form replays, never repeats.
    key = IdempotencyKey(
        caller=f"user:{request.user.pk}",
        key=f"staff-{fields['op']}",
        fingerprint=fingerprint({"action": action, "card": card.card_number}),
    )
    common: dict[str, Any] = {
        "card_number": card.card_number,
        "staff": StaffAuth(staff_pin_id=fields["staff_pin_id"], pin=fields["pin"]),
        "meta": RequestMeta.from_request(
            request, source=TransactionSource.STAFF_PAGE, idempotency_key=key.key
        ),
        "scope_store": store,
    }

    def perform() -> Outcome:
        if action == "stamp":
            txn = add_stamps(quantity=fields["quantity"], **common)
        elif action == "points":
            txn = add_points(purchase_amount_cents=form.cents(), **common)  # type: ignore[attr-defined]
        elif action == "redeem-stamps":
            txn = redeem_stamps(**common)
        else:
            txn = redeem_points(reward_id=fields["reward_id"], **common)
        return Outcome(201, {"transaction_id": txn.pk}, result=txn)

    try:
        outcome = run_idempotently(key, perform)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        if not outcome.replayed:
            messages.success(request, _describe_success(outcome.result))
        elif outcome.status_code == 201:
            messages.info(request, _("This operation was already recorded."))
        else:
            messages.error(request, str(outcome.body.get("detail", "")))
    return HttpResponseRedirect(reverse("terminal:card", args=[card.card_number]))


def _active_pins(store: Store) -> list[StaffPin]:
    return list(StaffPin.objects.filter(store=store, is_active=True).order_by("name"))


def _form(
    form_class: type[StaffMixin],
    card: LoyaltyCard,
    pins: list[StaffPin],
    data: Any = None,
) -> StaffMixin:
    kwargs: dict[str, Any] = {"staff_pins": pins, "prefix": None}
    if form_class is RedeemPointsForm:
        kwargs["rewards"] = card.program.points_rewards
    initial = {"op": uuid.uuid4()}
    if len(pins) == 1:
        initial["staff_pin_id"] = pins[0].pk
    return form_class(data, initial=initial, **kwargs)


def _render_card(
    request: HttpRequest,
    store: Store,
    card: LoyaltyCard,
    bound: dict[str, StaffMixin] | None = None,
    status: int = 200,
) -> HttpResponse:
    program = card.program
    bound = bound or {}
    affordable = card.affordable_rewards
    # A reward action is offered only when the card can have it: at a busy counter a button that
    # can only be refused is noise. (The engine still refuses a forged or stale form.)
    offered = {
        "stamp": program.has_stamps,
        "redeem-stamps": bool(card.stamp_rewards_ready),
        "points": program.has_points,
        "redeem-points": program.has_points and bool(affordable),
    }
    pins = _active_pins(store)  # one query for every form on the screen
    forms = {
        action: bound.get(action) or _form(form_class, card, pins)
        for action, form_class in ACTIONS.items()
        if offered[action] or action in bound
    }
    context = {
        "store": store,
        "card": card,
        "program": program,
        "customer": card.customer,
        "forms": forms,
        "shift": _shift(store),
        "stamp_grid": card.stamp_grid,
        "affordable": affordable,
        "has_pins": bool(pins),
    }
    return render(request, "terminal/card.html", context, status=status)


def _shift(store: Store) -> list[LoyaltyTransaction]:
    """Today's operations at this store from the terminal (the store's local day)."""
    zone = ZoneInfo(store.timezone)
    midnight = datetime.combine(timezone.now().astimezone(zone).date(), time.min, tzinfo=zone)
    return list(
        LoyaltyTransaction.objects.filter(
            store=store, source=TransactionSource.STAFF_PAGE, created_at__gte=midnight
        )
        .select_related("card", "staff_pin")
        .order_by("-created_at", "-pk")[:10]
    )


def _describe_success(txn: LoyaltyTransaction) -> str:
    card = txn.card
    if txn.transaction_type == TransactionType.STAMP_EARNED:
        return ngettext(
            "%(n)d stamp added: %(count)d of %(target)d.",
            "%(n)d stamps added: %(count)d of %(target)d.",
            txn.stamps_delta,
        ) % {"n": txn.stamps_delta, "count": card.stamp_count, "target": card.program.stamps_target}
    if txn.transaction_type == TransactionType.POINTS_EARNED:
        return ngettext(
            "%(n)d point added: the balance is %(balance)d.",
            "%(n)d points added: the balance is %(balance)d.",
            txn.points_delta,
        ) % {"n": txn.points_delta, "balance": card.points_balance}
    return _("Reward given: %(reward)s.") % {"reward": txn.reward_description or "—"}
