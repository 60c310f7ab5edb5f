"""Customer pages: the enrollment form a store's QR code opens, and the card page."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET, require_http_methods
from rest_framework.exceptions import Throttled

from cards.api.views import EnrollThrottle
from cards.forms import JoinForm, LostCardForm
from cards.links import wallet_links
from cards.models import LoyaltyCard
from cards.services import enroll_customer, request_card_link, send_card_link_after_commit
from common.colors import readable_ink
from common.qr import qr_svg
from common.throttling import throttle_posts
from programs.exceptions import ProgramInactive, StoreInactive, StoreNotFound
from programs.models import LoyaltyProgram, Store
from programs.selectors import membership_refusal, store_by_code


@require_http_methods(["GET", "POST"])
@throttle_posts("enroll")
def join(request: HttpRequest, store_code: str) -> HttpResponse:
    store = store_by_code(store_code)
    if store is None:
        raise Http404
    program = LoyaltyProgram.objects.filter(store=store).first()
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
            "form": form,
            "unavailable": unavailable,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def lost_card(request: HttpRequest, store_code: str) -> HttpResponse:
    """The "Lost your card?" page: the card's link is e-mailed to the address it was joined
    with, and the answer is the same for any address."""
    store = store_by_code(store_code)
    if store is None:
        raise Http404
    program = LoyaltyProgram.objects.filter(store=store).first()
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
        LoyaltyCard.objects.select_related("customer", "program", "program__store")
        .filter(public_token=token)
        .first()
    )
    if card is None:
        raise Http404
    return card


@require_GET
def card_page(request: HttpRequest, token: str) -> HttpResponse:
    card = _card(token)
    # The card page speaks the language the customer chose when joining, which says more than the
    # browser's Accept-Language (a shared or borrowed phone, a browser in English by default). A
    # visitor who picked a language with the switcher (its cookie) chose explicitly, on this
    # device: that choice wins.
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate(card.customer.locale)
        request.LANGUAGE_CODE = translation.get_language()
    program = card.program
    links = wallet_links(card, request.tenant.domain_url)
    context = {
        "card": card,
        "program": program,
        "store": program.store,
        "stamp_grid": card.stamp_grid,
        "card_ink": readable_ink(program.card_color),
        # The SVG has a fixed size (no viewBox), so the scale sets how big it shows: about 250 px
        # for a card number, large enough for a till scanner and still inside a 320 px screen.
        "qr": qr_svg(card.qr_code_data, scale=10, title=card.formatted_number),
        "apple_pass_url": links.apple_pass_url,
        "google_save_url": links.google_save_url,
    }
    if program.has_points:
        # Cheapest first, each with whether the card can have it now.
        rewards = sorted(program.points_rewards, key=lambda reward: reward["points_cost"])
        context["rewards"] = [(reward, card.can_afford(reward)) for reward in rewards]
    response = render(request, "cards/card.html", context)
    # A card page is personal: keep it out of shared caches and search engines.
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def card_qr(request: HttpRequest, token: str) -> HttpResponse:
    card = _card(token)
    response = HttpResponse(qr_svg(card.qr_code_data), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=86400"
    return response
