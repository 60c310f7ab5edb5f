"""The staff terminal: sign in, pick the store (remembered on the device; chosen by itself when
the account has one), find a card by scanning it, typing its number or searching the customer,
then one screen: the customer, the balance, one action (or a ready reward) and the PIN. After an
operation the terminal is back on the lookup screen with a confirmation, ready for the next
customer.

Interfaces only: the rules are the engine's (cards.services), the same as the API's. Every form
works without JavaScript; the scanner and the PIN keypad are enhancements.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, time
from functools import wraps
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from cards.models import LoyaltyCard, LoyaltyTransaction, TransactionSource, TransactionType
from cards.selectors import get_card, search_cards
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
# The staff member who last confirmed an operation on this device: preselected until changed. The
# PIN is still asked for every operation.
STAFF_COOKIE = "staff_member"
STAFF_COOKIE_SALT = "staff-terminal-member"
DEVICE_COOKIE_AGE = 365 * 24 * 3600
LOGIN_URL = "/staff/login/"
BACK_OFFICE_URL = "/admin/"
# What the lookup screen shows once after an operation (in the session).
CONFIRMATION_KEY = "terminal_confirmation"
SEARCH_RESULTS = 5

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


def _remember(request: HttpRequest, response: HttpResponse, name: str, value: str, salt: str):  # type: ignore[no-untyped-def]
    response.set_signed_cookie(
        name,
        value,
        salt=salt,
        max_age=DEVICE_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


def terminal(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, with a store chosen on this device (by itself when the account has one)."""

    @login_required(login_url=LOGIN_URL)
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        store = _terminal_store(request)
        if store is not None:
            return view(request, store, *args, **kwargs)
        stores = list(terminal_stores(user=request.user)[:2])
        if len(stores) != 1:
            return HttpResponseRedirect(reverse("terminal:store"))
        response = view(request, stores[0], *args, **kwargs)
        _remember(request, response, STORE_COOKIE, stores[0].code, STORE_COOKIE_SALT)
        return response

    return wrapper


class SignIn(auth_views.LoginView):
    """The terminal's sign-in, also the one on the merchant's home page: from there
    (``landing=home``) an owner goes on to the back office and a cashier to the terminal."""

    template_name = "terminal/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.request.POST.get("landing") == "home":
            context["landing"] = "home"  # a wrong password from the home page keeps its way on
        return context

    def get_default_redirect_url(self) -> str:
        if self.request.POST.get("landing") == "home" and self.request.user.is_staff:
            return BACK_OFFICE_URL
        return reverse("terminal:home")


@login_required(login_url=LOGIN_URL)
@require_http_methods(["GET", "POST"])
def choose_store(request: HttpRequest) -> HttpResponse:
    stores = list(terminal_stores(user=request.user))
    if request.method == "POST":
        chosen = next((s for s in stores if s.code == request.POST.get("store")), None)
        if chosen is not None:
            response = HttpResponseRedirect(reverse("terminal:home"))
            _remember(request, response, STORE_COOKIE, chosen.code, STORE_COOKIE_SALT)
            return response
    return render(
        request, "terminal/store.html", {"stores": stores, "current": _terminal_store(request)}
    )


@terminal
@require_http_methods(["GET"])
def home(request: HttpRequest, store: Store) -> HttpResponse:
    """The lookup screen: scan, type a card number, or search a customer (name, e-mail, phone).
    Shows the last operation's confirmation once."""
    form = LookupForm(request.GET or None)
    status = 200
    results: list[LoyaltyCard] | None = None
    if request.GET and form.is_valid():
        number = form.card_number()
        if number is not None:
            try:
                card = get_card(card_number=number, store=store)
            except ApplicationError as error:
                form.add_error("number", str(error.message))
                status = 404 if error.status_code == 404 else 400
            else:
                return HttpResponseRedirect(reverse("terminal:card", args=[card.card_number]))
        else:
            query = form.cleaned_data["number"]
            results = list(search_cards(store=store, query=query)[: SEARCH_RESULTS + 1])
            if not results:
                form.add_error(
                    "number", _("No card at this store matches “%(query)s”.") % {"query": query}
                )
                status = 404
    confirmation = None if request.GET else request.session.pop(CONFIRMATION_KEY, None)
    return render(
        request,
        "terminal/home.html",
        {
            "store": store,
            "form": form,
            "shift": _shift(store),
            "results": (results or [])[:SEARCH_RESULTS],
            "more_results": results is not None and len(results) > SEARCH_RESULTS,
            "confirmation": confirmation,
        },
        status=status,
    )


@terminal
@require_http_methods(["GET", "POST"])
def card_screen(request: HttpRequest, store: Store, number: str) -> HttpResponse:
    """The card: GET shows it with one action chosen (``?action=``), POST confirms that action."""
    if request.method == "POST":
        return _operate(request, store, number, request.POST.get("action", ""))
    try:
        card = get_card(card_number=number, store=store)
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return HttpResponseRedirect(reverse("terminal:home"))
    return _render_card(request, store, card, action=request.GET.get("action", ""))


@terminal
@require_POST
def operate(request: HttpRequest, store: Store, number: str, action: str) -> HttpResponse:
    """The same as posting to the card with ``action``: one URL per action, for scripts."""
    return _operate(request, store, number, action)


def _operate(request: HttpRequest, store: Store, number: str, action: str) -> HttpResponse:
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
        return _render_card(request, store, card, action=action, bound=form, status=400)

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
        return _back_to_card(card, action, request.POST.get("amount", ""))
    if outcome.replayed and outcome.status_code != 201:
        messages.error(request, str(outcome.body.get("detail", "")))
        return _back_to_card(card, action, request.POST.get("amount", ""))
    if outcome.replayed:
        messages.info(request, _("This operation was already recorded."))
    else:
        request.session[CONFIRMATION_KEY] = _confirmation(outcome.result)
    # Done: the terminal is ready for the next customer, and remembers who is at the till.
    response = HttpResponseRedirect(reverse("terminal:home"))
    _remember(request, response, STAFF_COOKIE, str(fields["staff_pin_id"]), STAFF_COOKIE_SALT)
    return response


def _back_to_card(card: LoyaltyCard, action: str, amount: str) -> HttpResponse:
    """The card again after a refusal, with the action (and the amount) the cashier had."""
    query = {"action": action}
    if action == "points" and amount:
        query["amount"] = amount[:20]
    url = reverse("terminal:card", args=[card.card_number])
    return HttpResponseRedirect(f"{url}?{urlencode(query)}")


def _active_pins(store: Store) -> list[StaffPin]:
    return list(StaffPin.objects.filter(store=store, is_active=True).order_by("name"))


def _remembered_pin(request: HttpRequest, pins: list[StaffPin]) -> StaffPin | None:
    """The staff member preselected on this device: the store's only one, or the last one who
    confirmed an operation here."""
    if len(pins) == 1:
        return pins[0]
    value = request.get_signed_cookie(STAFF_COOKIE, default=None, salt=STAFF_COOKIE_SALT)
    return next((pin for pin in pins if str(pin.pk) == value), None)


def _form(
    form_class: type[StaffMixin],
    card: LoyaltyCard,
    pins: list[StaffPin],
    data: Any = None,
    staff: StaffPin | None = None,
) -> StaffMixin:
    kwargs: dict[str, Any] = {"staff_pins": pins, "prefix": None}
    initial: dict[str, Any] = {"op": uuid.uuid4()}
    if form_class is RedeemPointsForm:
        # Only what the card can have: a reward that can only be refused is not offered.
        kwargs["rewards"] = card.affordable_rewards
        if len(kwargs["rewards"]) == 1:
            initial["reward_id"] = kwargs["rewards"][0]["id"]
    if staff is not None:
        initial["staff_pin_id"] = staff.pk
    return form_class(data, initial=initial, **kwargs)


def _offered(card: LoyaltyCard) -> list[tuple[str, str]]:
    """The actions the card screen offers, (action, label), the common one first. A reward only
    when the card can have it: at a busy counter a choice that can only be refused is noise.
    (The engine still refuses a forged or stale form.)"""
    program = card.program
    offered = []
    if program.has_stamps:
        offered.append(("stamp", _("Add stamp")))
    if program.has_points:
        offered.append(("points", _("Add points")))
    if card.stamp_rewards_ready:
        reward = program.stamps_reward_description or _("the stamp card reward")
        offered.append(("redeem-stamps", _("Give reward: %(reward)s") % {"reward": reward}))
    if card.affordable_rewards:
        offered.append(("redeem-points", _("Give a reward")))
    return offered


def _render_card(
    request: HttpRequest,
    store: Store,
    card: LoyaltyCard,
    action: str = "",
    bound: StaffMixin | None = None,
    status: int = 200,
) -> HttpResponse:
    program = card.program
    offered = _offered(card)
    labels = dict(offered)
    if action not in labels:
        action = offered[0][0] if offered else ""
    pins = _active_pins(store)  # one query for the whole screen
    staff = _remembered_pin(request, pins)
    form = bound
    if form is None and action:
        form = _form(ACTIONS[action], card, pins, staff=staff)
    if bound is not None:
        amount = str(bound.data.get("amount", ""))[:20]
    else:
        amount = request.GET.get("amount", "")[:20] if action == "points" else ""
    context = {
        "store": store,
        "card": card,
        "program": program,
        "customer": card.customer,
        "form": form,
        "action": action,
        "action_label": labels.get(action, ""),
        "offered": offered,
        "staff": staff,
        "pins": pins,
        "amount": amount,
        "stamp_grid": card.stamp_grid,
        "affordable": card.affordable_rewards,
        "has_pins": bool(pins),
        "shift": _shift(store),
    }
    return render(request, "terminal/card.html", context, status=status)


def _shift(store: Store) -> list[LoyaltyTransaction]:
    """Today's operations at this store from the terminal (the store's local day)."""
    zone = ZoneInfo(store.timezone)
    midnight = datetime.combine(timezone.now().astimezone(zone).date(), time.min, tzinfo=zone)
    operations = list(
        LoyaltyTransaction.objects.filter(
            store=store, source=TransactionSource.STAFF_PAGE, created_at__gte=midnight
        )
        .select_related("card", "staff_pin")
        .order_by("-created_at", "-pk")[:10]
    )
    for txn in operations:
        txn.delta_label = delta_label(txn)  # type: ignore[attr-defined]
    return operations


def delta_label(txn: LoyaltyTransaction) -> str:
    """ "+1 stamp", "-10 stamps", "+60 points": the change, with the plural its figure needs."""
    parts = []
    if txn.stamps_delta:
        parts.append(
            ngettext("%(delta)s stamp", "%(delta)s stamps", abs(txn.stamps_delta))
            % {"delta": f"{txn.stamps_delta:+d}"}
        )
    if txn.points_delta:
        parts.append(
            ngettext("%(delta)s point", "%(delta)s points", abs(txn.points_delta))
            % {"delta": f"{txn.points_delta:+d}"}
        )
    return " ".join(parts)


def _balance(card: LoyaltyCard) -> str:
    program = card.program
    parts = []
    if program.has_stamps:
        parts.append(
            _("%(count)d of %(target)d stamps")
            % {"count": card.stamp_count, "target": program.stamps_target}
        )
    if program.has_points:
        parts.append(
            ngettext("%(balance)d point", "%(balance)d points", card.points_balance)
            % {"balance": card.points_balance}
        )
    return " · ".join(parts)


def _confirmation(txn: LoyaltyTransaction) -> dict[str, Any]:
    """What the lookup screen shows after an operation: whose card, what happened, the new
    balance and the rewards now there to give (kept in the session, so plain strings)."""
    card = txn.card
    program = card.program
    ready = []
    if card.stamp_rewards_ready:
        ready.append(str(program.stamps_reward_description or _("the stamp card reward")))
    ready += [str(reward["name"]) for reward in card.affordable_rewards]
    return {
        "customer": card.customer.name,
        "card_number": card.card_number,
        "headline": _describe_success(txn),
        "balance": _balance(card),
        "rewards": ready,
    }


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
