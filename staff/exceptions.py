"""Refusals of a staff PIN, each with its stable code and its own words (SPEC §4)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError


class PinInvalid(ApplicationError):
    status_code = 403
    default_code = "pin_invalid"
    default_message = _("Wrong PIN. Check the staff member and try again.")

    def __init__(self, *, attempts_remaining: int | None = None) -> None:
        """``attempts_remaining``: wrong PINs still allowed before the lockout, when the PIN was
        evaluated (None for an unknown, inactive or other store's staff member). It is in the
        words, for the cashier, and in ``attempts_remaining``, for an integrator."""
        if attempts_remaining is None:
            super().__init__()
            return
        super().__init__(
            ngettext(
                "Wrong PIN. %(count)d try left before this PIN is locked.",
                "Wrong PIN. %(count)d tries left before this PIN is locked.",
                attempts_remaining,
            )
            % {"count": attempts_remaining},
            attempts_remaining=attempts_remaining,
        )


class PinLocked(ApplicationError):
    """Says until when in the store's local time: that is the clock on the counter's wall."""

    status_code = 403
    default_code = "pin_locked"

    def __init__(self, *, locked_until: datetime, time_zone: str) -> None:
        local = locked_until.astimezone(ZoneInfo(time_zone))
        super().__init__(
            gettext(
                "This PIN is locked until %(time)s after too many wrong attempts. Ask a "
                "manager to unlock it."
            )
            % {"time": formats.time_format(local, "H:i")},
            locked_until=locked_until.isoformat(),
        )
