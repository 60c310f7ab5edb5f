"""Refusals of a staff PIN, each with its stable code and its own words (SPEC §4)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError


class PinInvalid(ApplicationError):
    status_code = 403
    default_code = "pin_invalid"
    default_message = _("Wrong PIN. Check the staff member and try again.")


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
