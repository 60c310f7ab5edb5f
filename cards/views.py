"""Customer pages: the enrollment form a store's QR code opens, and the card page."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET, require_http_methods

from cards.forms import JoinForm
from cards.links import wallet_links
from cards.models import LoyaltyCard
from cards.services import enroll_customer
from common.colors import readable_ink
from common.qr import qr_svg
from common.throttling import throttle_posts
from programs.exceptions import ProgramInactive, StoreInactive, StoreNotFound
from programs.models import LoyaltyProgram
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
            return HttpResponseRedirect(f"/c/{enrollment.card.public_token}/")
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
