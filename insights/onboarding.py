"""The back office's set-up checklist: a new merchant's five steps to a first stamp, each ticked
from the data itself (``setup_steps``), never from a flag someone must remember to set."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cards.models import LoyaltyTransaction, TransactionType
from programs.models import LoyaltyProgram, Store
from staff.models import StaffPin


@dataclass(frozen=True)
class SetupStep:
    key: str
    title: str | Promise
    hint: str | Promise
    done: bool
    url: str


def setup_steps() -> list[SetupStep]:
    """The checklist, in order; each step is done when its data exists (the merchant's schema).

    Five ``EXISTS`` queries (and one for the poster's link): cheap enough for a home page.
    """
    store = Store.objects.order_by("pk").first()
    poster_store = (
        Store.objects.filter(poster_opened_at__isnull=False).order_by("pk").first() or store
    )
    earned = [TransactionType.STAMP_EARNED, TransactionType.POINTS_EARNED]
    return [
        SetupStep(
            "store",
            _("Add your store"),
            _("Its name, address and time zone."),
            store is not None,
            reverse("backoffice:programs_store_add"),
        ),
        SetupStep(
            "program",
            _("Set up your loyalty programme"),
            _("Stamps or points, the reward, your colours: you see the card as you go."),
            LoyaltyProgram.objects.exists(),
            reverse("backoffice:programs_loyaltyprogram_add"),
        ),
        SetupStep(
            "pin",
            _("Give a staff member a PIN"),
            _("They type it at the counter to add a stamp."),
            StaffPin.objects.exists(),
            reverse("backoffice:staff_staffpin_add"),
        ),
        SetupStep(
            "poster",
            _("Print the QR poster"),
            _("Customers scan it to get their card."),
            Store.objects.filter(poster_opened_at__isnull=False).exists(),
            reverse("backoffice:programs_store_poster", args=[poster_store.pk])
            if poster_store is not None
            else reverse("backoffice:programs_store_changelist"),
        ),
        SetupStep(
            "stamp",
            _("Add your first stamp"),
            _("At the counter terminal, on a customer's card."),
            LoyaltyTransaction.objects.filter(transaction_type__in=earned).exists(),
            reverse("terminal:home"),
        ),
    ]


def checklist_context(request: HttpRequest) -> dict[str, Any]:
    """What ``admin/backoffice/_checklist.html`` shows: to those who set the programme up (its
    steps link to pages a manager who only reads the figures may not open)."""
    if not request.user.has_perm("programs.add_loyaltyprogram"):
        return {}
    steps = setup_steps()
    done = sum(step.done for step in steps)
    return {
        "setup_steps": steps,
        "setup_done": done,
        "setup_total": len(steps),
        "setup_complete": done == len(steps),
    }
