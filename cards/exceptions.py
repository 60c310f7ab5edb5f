"""Business-rule refusals of the cards engine, each with its stable code (SPEC §4)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError, Conflict, NotFound


class StoreNotFound(NotFound):
    default_message = _("There is no store with this code.")


class StoreInactive(Conflict):
    default_code = "store_inactive"
    default_message = _("This store does not take new members at the moment.")


class ProgramInactive(Conflict):
    default_code = "program_inactive"
    default_message = _("This loyalty programme is not active.")


class CardNotFound(NotFound):
    default_message = _("There is no card with this number.")


class InvalidCardNumber(ApplicationError):
    status_code = 400
    default_code = "invalid"
    default_message = _("This card number is not valid: please check it for typing mistakes.")


class CardInactive(Conflict):
    default_code = "card_inactive"
    default_message = _("This card is blocked.")


class CooldownActive(Conflict):
    default_code = "cooldown_active"
    default_message = _("This card got a stamp a moment ago. Please wait before the next one.")


class DailyLimitReached(Conflict):
    default_code = "daily_limit_reached"
    default_message = _("This card has had as many stamps today as the programme allows.")


class InsufficientStamps(Conflict):
    default_code = "insufficient_stamps"
    default_message = _("Not enough stamps for the reward yet.")


class InsufficientPoints(Conflict):
    default_code = "insufficient_points"
    default_message = _("Not enough points for this reward.")


class IdempotencyKeyReused(Conflict):
    default_code = "idempotency_key_reused"
    default_message = _("This Idempotency-Key was already used for a different request.")


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
