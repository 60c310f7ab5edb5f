"""Customer pages: the enrollment form a store's QR code opens, its privacy notice, the card page
(which keeps itself up to date by polling its state), and the customer's data requests from it
(asked on the card page, confirmed from the card's e-mail)."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.utils import translation
from django.utils.http import parse_etags, quote_etag
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework.exceptions import Throttled

from cards.activity import recent_activity
from cards.api.views import EnrollThrottle
from cards.forms import JoinForm, LostCardForm
from cards.links import wallet_links
from cards.models import Customer, LoyaltyCard
from cards.services import (
    DataLinkExpired,
    DataLinkInvalid,
    DataLinkUsed,
    check_data_link,
    enroll_customer,
    erase_by_link,
    export_by_link,
    read_data_link,
    request_card_link,
    request_data_action,
    send_card_link_after_commit,
)
from cards.services.self_service import ACTIONS, ERASE, EXPORT
from common.colors import readable_ink
from common.qr import qr_svg
from common.throttling import throttle_posts
from programs.exceptions import ProgramInactive, StoreInactive, StoreNotFound
from programs.models import LoyaltyProgram, Store
from programs.rules import stamp_grid_columns
from programs.selectors import membership_refusal, store_by_code

# How often an open card page asks whether its card changed (static/js/card_live.js reads it from
# the page): a stamp at the counter shows within this and one round trip.
CARD_POLL_SECONDS = 3


@require_http_methods(["GET", "POST"])
@throttle_posts("enroll")
def join(request: HttpRequest, store_code: str) -> HttpResponse:
    store = store_by_code(store_code)
    if store is None:
        raise Http404
    program = store.program
    unavailable = membership_refusal(store=store, program=program) is not None
    form = JoinForm(request.POST or None, initial={"locale": translation.get_language()})
    if request.method == "POST" and not unavailable and form.is_valid():
        try:
            enrollment = enroll_customer(store_code=store.code, **form.cleaned_data)
        except (StoreNotFound, StoreInactive, ProgramInactive):
            unavailable = True
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            if enrollment.may_be_shown_to_anyone:
                return HttpResponseRedirect(f"/c/{enrollment.card.public_token}/")
            # A known e-mail: whoever typed it may not be its owner, so the card's link goes to
            # that address and the page says only what it would say for any address.
            send_card_link_after_commit(card_id=enrollment.card.pk, host=request.tenant.domain_url)
            return _link_sent(request, store, program)
    status = 409 if unavailable else (400 if form.errors else 200)
    return render(
        request,
        "cards/join.html",
        {
            "store": store,
            "program": program,
            "card_ink": readable_ink(program.card_color) if program else None,
            "preview": _preview(program),
            "form": form,
            "unavailable": unavailable,
        },
        status=status,
    )


def _preview(program: LoyaltyProgram | None) -> dict[str, object] | None:
    """The join page's picture of a new card: every box of the real stamp target, empty."""
    if program is None or not program.has_stamps or not program.stamps_target:
        return None
    target = program.stamps_target
    return {"boxes": range(target), "columns": stamp_grid_columns(target), "target": target}


@require_GET
def privacy_notice(request: HttpRequest, store_code: str) -> HttpResponse:
    """What the merchant keeps about a member, why, for how long, and how to have a copy or have
    it erased: linked from the join form (and the card page), in the store's colours."""
    store = store_by_code(store_code)
    if store is None:
        raise Http404
    program = store.program
    return render(
        request,
        "cards/privacy.html",
        {
            "store": store,
            "program": program,
            "card_ink": readable_ink(program.card_color) if program else None,
            "merchant_name": request.tenant.name,
        },
    )


@require_http_methods(["GET", "POST"])
def lost_card(request: HttpRequest, store_code: str) -> HttpResponse:
    """The "Lost your card?" page: the card's link is e-mailed to the address it was joined
    with, and the answer is the same for any address."""
    store = store_by_code(store_code)
    if store is None:
        raise Http404
    program = store.program
    form = LostCardForm(request.POST or None)
    throttled = False
    if request.method == "POST" and form.is_valid():
        # Each request may send a customer a message: one budget per client with the API's
        # enrollment and card-link endpoints, so the page cannot be used to flood a mailbox.
        throttle = EnrollThrottle()
        if throttle.allow_request(request, None):  # type: ignore[arg-type]
            request_card_link(
                store_code=store.code,
                email=form.cleaned_data["email"],
                host=request.tenant.domain_url,
            )
            return _link_sent(request, store, program)
        throttled = True
        form.add_error(None, str(Throttled(throttle.wait()).detail))
    return render(
        request,
        "cards/lost.html",
        {
            "store": store,
            "program": program,
            "card_ink": readable_ink(program.card_color) if program else None,
            "form": form,
        },
        status=429 if throttled else (400 if form.errors else 200),
    )


def _link_sent(request: HttpRequest, store: Store, program: LoyaltyProgram | None) -> HttpResponse:
    """The neutral answer: the same page whether or not the address has a card."""
    return render(
        request,
        "cards/link_sent.html",
        {
            "store": store,
            "program": program,
            "card_ink": readable_ink(program.card_color) if program else None,
        },
    )


def _card(token: str) -> LoyaltyCard:
    card = (
        LoyaltyCard.objects.select_related("customer", "program", "store")
        .filter(public_token=token)
        .first()
    )
    if card is None:
        raise Http404
    return card


def _speak_customers_language(request: HttpRequest, customer: Customer) -> None:
    # A customer's pages speak the language the customer chose when joining, which says more than
    # the browser's Accept-Language (a shared or borrowed phone, a browser in English by default).
    # A visitor who picked a language with the switcher (its cookie) chose explicitly, on this
    # device: that choice wins.
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate(customer.locale)
        request.LANGUAGE_CODE = translation.get_language()


def _personal(response: HttpResponse) -> HttpResponse:
    """A page about one person: kept out of shared caches and search engines."""
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _live_context(card: LoyaltyCard) -> dict[str, object]:
    """What changes on the card page when the card does: the card itself, the reward banners, the
    rewards list and the recent activity (cards/templates/cards/_card_live.html)."""
    program = card.program
    context: dict[str, object] = {
        "card": card,
        "program": program,
        "store": card.store,
        "stamp_grid": card.stamp_grid,
        "activity": recent_activity(card),
    }
    if program.has_points:
        # Cheapest first, each with whether the card can have it now.
        rewards = sorted(program.points_rewards, key=lambda reward: reward["points_cost"])
        context["rewards"] = [(reward, card.can_afford(reward)) for reward in rewards]
    return context


def _state_etag(card: LoyaltyCard) -> str:
    """Changes whenever what the live parts show may change: every operation on the card saves its
    ``updated_at``, and the programme's edits its own (a new target, a renamed reward). The
    language is in it too, since the parts are words."""
    program = card.program
    parts = (
        card.pk,
        card.updated_at.isoformat(),
        card.stamp_count,
        card.points_balance,
        card.is_active,
        program.updated_at.isoformat(),
        translation.get_language(),
    )
    return quote_etag(hashlib.sha256(repr(parts).encode()).hexdigest()[:20])


@require_GET
def card_page(request: HttpRequest, token: str) -> HttpResponse:
    card = _card(token)
    _speak_customers_language(request, card.customer)
    program = card.program
    links = wallet_links(card, request.tenant.domain_url)
    context = {
        **_live_context(card),
        "card_ink": readable_ink(program.card_color),
        # The SVG has a fixed size (no viewBox), so the scale sets how big it shows: about 250 px
        # for a card number, large enough for a till scanner and still inside a 320 px screen.
        "qr": qr_svg(card.qr_code_data, scale=10, title=card.formatted_number),
        "apple_pass_url": links.apple_pass_url,
        "google_save_url": links.google_save_url,
        "state_etag": _state_etag(card),
        "poll_ms": CARD_POLL_SECONDS * 1000,
    }
    return _personal(render(request, "cards/card.html", context))


@require_GET
def card_state(request: HttpRequest, token: str) -> HttpResponse:
    """The card page's live parts, for the page's script to swap in: 304 while the card is
    unchanged (the page sends the ETag it has), so an open page costs one small query every few
    seconds. As closed as the page: the same token, kept out of caches and search engines."""
    card = _card(token)
    _speak_customers_language(request, card.customer)
    etag = _state_etag(card)
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = render(request, "cards/_card_live.html", _live_context(card))
    response["ETag"] = etag
    return _personal(response)


@require_GET
def card_qr(request: HttpRequest, token: str) -> HttpResponse:
    card = _card(token)
    response = HttpResponse(qr_svg(card.qr_code_data), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=86400"
    return response


@require_POST
@throttle_posts("enroll")
def card_data_request(request: HttpRequest, token: str) -> HttpResponse:
    """ "Download my data" / "Erase my data" on the card page: the page's token lets its holder
    ask, and the confirmation link goes to the card's e-mail. Each request may send a customer a
    message, so it spends the enrollment budget, as "Lost your card?" does."""
    card = _card(token)
    _speak_customers_language(request, card.customer)
    action = request.POST.get("action")
    if action not in ACTIONS:
        return _personal(render(request, "400.html", status=400))
    request_data_action(card=card, action=action, host=request.tenant.domain_url)
    program = card.program
    return _personal(
        render(
            request,
            "cards/data_link_sent.html",
            {
                "program": program,
                "store": card.store,
                "card_ink": readable_ink(program.card_color),
                "card": card,
                "erase": action == ERASE,
            },
        )
    )


@require_http_methods(["GET", "POST"])
def data_confirm(request: HttpRequest) -> HttpResponse:
    """The e-mailed link: GET shows what the button will do (mail scanners and link previews that
    open it change nothing), POST does it. The token stays in the query string, form included."""
    signed = request.GET.get("token", "")
    try:
        link = read_data_link(signed=signed)
    except DataLinkInvalid as error:
        return _link_problem(request, error, card=None)
    _speak_customers_language(request, link.customer)
    try:
        if request.method == "POST":
            if link.action == EXPORT:
                data = export_by_link(signed=signed)
                response = HttpResponse(
                    json.dumps(data, indent=2, ensure_ascii=False),
                    content_type="application/json; charset=utf-8",
                )
                response["Content-Disposition"] = 'attachment; filename="my-data.json"'
                return _personal(response)
            erase_by_link(signed=signed)
            return _data_page(request, "cards/data_erased.html", link.card)
        check_data_link(link)
    except (DataLinkInvalid, DataLinkUsed, DataLinkExpired) as error:
        return _link_problem(request, error, card=link.card)
    template = "cards/data_export.html" if link.action == EXPORT else "cards/data_erase.html"
    return _data_page(request, template, link.card)


def _data_page(
    request: HttpRequest,
    template: str,
    card: LoyaltyCard | None,
    status: int = 200,
    **context: object,
) -> HttpResponse:
    program = card.program if card else None
    response = render(
        request,
        template,
        {
            "card": card,
            "program": program,
            "store": card.store if card else None,
            "card_ink": readable_ink(program.card_color) if program else None,
            **context,
        },
        status=status,
    )
    # The page's address holds the link's token: a Referer sent from it names the origin only.
    # (Not "no-referrer": the confirming form's POST would then carry "Origin: null", which the
    # CSRF check refuses.)
    response["Referrer-Policy"] = "strict-origin"
    return _personal(response)


def _link_problem(
    request: HttpRequest,
    error: DataLinkInvalid | DataLinkUsed | DataLinkExpired,
    card: LoyaltyCard | None,
) -> HttpResponse:
    return _data_page(
        request,
        "cards/data_link_problem.html",
        card,
        status=error.status_code,
        message=error.message,
        code=error.code,
    )
