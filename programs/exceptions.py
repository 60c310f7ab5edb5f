"""Refusals about a store or its programme, each with its stable code (SPEC §4)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from common.errors import Conflict, NotFound


class StoreNotFound(NotFound):
    default_message = _("There is no store with this code.")


class StoreInactive(Conflict):
    default_code = "store_inactive"
    default_message = _("This store does not take new members at the moment.")


class ProgramInactive(Conflict):
    default_code = "program_inactive"
    default_message = _("This loyalty programme is not active.")
