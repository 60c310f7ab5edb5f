from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError


class PinInvalid(ApplicationError):
    status_code = 403
    default_code = "pin_invalid"
    default_message = _("Wrong PIN, or this staff member cannot serve this card.")


class PinLocked(ApplicationError):
    status_code = 403
    default_code = "pin_locked"
    default_message = _("This PIN is locked after too many wrong attempts.")
