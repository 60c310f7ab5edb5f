"""Customer pages: the enrollment form a store's QR code opens, and the card page."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET, require_http_methods

from cards.exceptions import ProgramInactive, StoreInactive, StoreNotFound
from cards.forms import JoinForm
from cards.links import wallet_links
from cards.models import LoyaltyCard
from cards.services import enroll_customer
from common.qr import qr_svg
from programs.models import LoyaltyProgram, Store


def readable_ink(background: str) -> str:
    """Black or white, whichever reads better on ``background`` ("#RRGGBB").

    Uses the WCAG relative luminance and contrast ratio. Either black or white always reaches at
    least 4.58:1 against any colour, so the pick meets WCAG AA for normal text.
    """
    channels = (int(background[index : index + 2], 16) / 255 for index in (1, 3, 5))
    red, green, blue = (
        channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4
        for channel in channels
    )
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    contrast_with_black = (luminance + 0.05) / 0.05
    contrast_with_white = 1.05 / (luminance + 0.05)
    return "#000000" if contrast_with_black > contrast_with_white else "#FFFFFF"


def _stamp_columns(target: int) -> int:
    # Rows of equal length read like a paper card: 10 stamps as 2 x 5, 8 as 2 x 4, 6 as 2 x 3.
    if target <= 5:
        return target
    return next((columns for columns in (5, 4, 3) if target % columns == 0), 5)


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, store_code: str) -> HttpResponse:
    store = Store.objects.filter(code=store_code.strip().lower()).first()
    if store is None:
        raise Http404
    program = LoyaltyProgram.objects.filter(store=store).first()
    unavailable = not store.is_active or program is None or not program.is_active
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
        "card_ink": readable_ink(program.card_color),
        # The SVG has a fixed size (no viewBox), so the scale sets how big it shows: about 250 px
        # for a card number, large enough for a till scanner and still inside a 320 px screen.
        "qr": qr_svg(card.qr_code_data, scale=10, title=card.formatted_number),
        "apple_pass_url": links.apple_pass_url,
        "google_save_url": links.google_save_url,
    }
    if program.has_stamps and program.stamps_target:
        filled = min(card.stamp_count, program.stamps_target)
        context["stamp_marks"] = [index < filled for index in range(program.stamps_target)]
        context["stamps_filled"] = filled
        context["stamp_columns"] = _stamp_columns(program.stamps_target)
        context["rewards_ready"] = card.stamp_count // program.stamps_target
        # Stamps beyond the full rewards already count toward the card after those are redeemed.
        context["stamps_carried"] = (
            card.stamp_count % program.stamps_target if context["rewards_ready"] else 0
        )
    if program.has_points:
        rewards = sorted(program.points_rewards, key=lambda reward: reward["points_cost"])
        context["rewards"] = rewards
        context["next_reward"] = next(
            (r for r in rewards if r["points_cost"] > card.points_balance), None
        )
        if context["next_reward"]:
            context["points_to_next"] = context["next_reward"]["points_cost"] - card.points_balance
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
