"""``{% offer_sentence program %}``: the programme's offer as one sentence (programs.offer), for
the join page and the store's QR poster."""

from __future__ import annotations

from django import template

from programs import offer
from programs.models import LoyaltyProgram

register = template.Library()


@register.simple_tag
def offer_sentence(program: LoyaltyProgram | None) -> str:
    return offer.offer_sentence(program)
