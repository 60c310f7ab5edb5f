"""Business-rule refusals of the cards engine, each with its stable code (SPEC §4).

A refusal words itself, with its figures, so the API's ``detail`` and the pages say the same."""

from __future__ import annotations

import math

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError, Conflict, NotFound

# A store's and a programme's refusals belong to ``programs``; the engine's callers find them here
# too.
from programs.exceptions import ProgramInactive as ProgramInactive
from programs.exceptions import StoreInactive as StoreInactive
from programs.exceptions import StoreNotFound as StoreNotFound


class CardNotFound(NotFound):
    default_message = _("There is no card with this number.")

    def __init__(self, *, at_store: bool = False) -> None:
        # A caller limited to one store (a terminal, a store's API key) may be holding another
        # store's card: say where we looked.
        super().__init__(gettext("No card with this number at this store.") if at_store else None)


class InvalidCardNumber(ApplicationError):
    status_code = 400
    default_code = "invalid"
    default_message = _("This card number is not valid: please check it for typing mistakes.")


class CardInactive(Conflict):
    default_code = "card_inactive"
    default_message = _("This card is blocked.")


class CooldownActive(Conflict):
    default_code = "cooldown_active"

    def __init__(self, *, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            ngettext(
                "Too soon: this card just got a stamp. Wait %(minutes)d more minute.",
                "Too soon: this card just got a stamp. Wait %(minutes)d more minutes.",
                minutes,
            )
            % {"minutes": minutes},
            retry_after=retry_after,
        )


class DailyLimitReached(Conflict):
    default_code = "daily_limit_reached"

    def __init__(self, *, max_daily_stamps: int, stamps_today: int) -> None:
        super().__init__(
            ngettext(
                "This card has reached today's limit of %(limit)d stamp.",
                "This card has reached today's limit of %(limit)d stamps.",
                max_daily_stamps,
            )
            % {"limit": max_daily_stamps},
            max_daily_stamps=max_daily_stamps,
            stamps_today=stamps_today,
        )


class InsufficientStamps(Conflict):
    default_code = "insufficient_stamps"

    def __init__(self, *, stamp_count: int, stamps_target: int) -> None:
        super().__init__(
            gettext("Not enough stamps yet: %(count)s of %(target)s.")
            % {"count": stamp_count, "target": stamps_target},
            stamp_count=stamp_count,
            stamps_target=stamps_target,
        )


class InsufficientPoints(Conflict):
    default_code = "insufficient_points"

    def __init__(self, *, points_balance: int, points_cost: int) -> None:
        super().__init__(
            gettext("Not enough points: %(balance)s, the reward needs %(cost)s.")
            % {"balance": points_balance, "cost": points_cost},
            points_balance=points_balance,
            points_cost=points_cost,
        )


class NotInProgramme(ApplicationError):
    # A refusal of its own, not a field error: the request is well-formed, the card is not the
    # kind this operation applies to (stamps on a points card, and the reverse).
    status_code = 400
    default_code = "operation_not_offered"
    default_message = _("This card's programme does not offer this operation.")


class PinRequired(ApplicationError):
    status_code = 400
    default_code = "invalid"
    default_message = _("This programme requires a staff member and their PIN.")


class UnknownReward(ApplicationError):
    status_code = 400
    default_code = "invalid"
    default_message = _("This programme has no reward with this id.")


class CustomerNotFound(NotFound):
    default_message = _("There is no customer with this id.")


class CustomerConflict(Conflict):
    """The e-mail and the external ID of a request name two different customers, or a change would
    give a customer another's e-mail or external ID. Merging customers is a person's decision."""

    default_code = "customer_conflict"
    default_message = _(
        "This e-mail address and this external ID belong to two different customers."
    )
