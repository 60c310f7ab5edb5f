"""``manage.py sync_google_wallet --merchant <schema> [--force]``: bring a merchant's Google Wallet
classes and objects up to date now, in this process, and say how it went.

Every programme's class is sent whole; then every card: an object Google does not have yet is
inserted, one that changed (or was refused) is patched, one Google already has as we would send it
costs no request unless ``--force``. Requests keep to the shared pace (GOOGLE_WALLET_MAX_RPS), so
the command can run beside the workers. Progress goes to stderr: a bar redrawn in place on a
terminal, a line every ``--every`` cards otherwise (a log file, a CI job).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django_tenants.utils import tenant_context

from cards.models import LoyaltyCard
from merchants.models import Merchant
from programs.models import LoyaltyProgram
from wallets.config import GOOGLE_REQUIRED, google_configured
from wallets.google.client import GoogleTransientError
from wallets.google.sync import SyncReport, card_batches, sync_cards, sync_class

BATCH = 500  # card ids read at a time
BAR_WIDTH = 30
REDRAW_SECONDS = 0.1  # a terminal redraws at most this often


def _plain(text: str) -> str:
    # Django colours all of stderr as errors on a terminal: progress is not one.
    return text


class Progress:
    """ "cards done of total" on ``stream``: redrawn in place on a terminal, else a line every
    ``every`` cards and one at the end."""

    def __init__(self, stream: OutputWrapper, *, total: int, every: int) -> None:
        self.stream, self.total, self.every = stream, total, max(1, every)
        self.tty = stream.isatty()
        self.done = 0
        self.last_line = 0
        self.last_draw = 0.0
        self.started = time.monotonic()

    def _text(self) -> str:
        rate = self.done / max(time.monotonic() - self.started, 1e-6)
        return f"{self.done}/{self.total} cards ({rate:.0f}/s)"

    def advance(self, count: int) -> None:
        self.done += count
        if self.tty:
            now = time.monotonic()
            if now - self.last_draw < REDRAW_SECONDS and self.done != self.total:
                return
            self.last_draw = now
            filled = BAR_WIDTH * self.done // self.total if self.total else BAR_WIDTH
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self.stream.write(f"\r[{bar}] {self._text()}", style_func=_plain, ending="")
            self.stream.flush()
        elif self.done - self.last_line >= self.every or self.done == self.total:
            self.stream.write(f"Google Wallet: {self._text()}", style_func=_plain)
            self.last_line = self.done

    def finish(self) -> None:
        if self.tty:
            self.stream.write("", style_func=_plain)  # leave the bar on its own line


class Command(BaseCommand):
    help = (
        "Re-sync one merchant's Google Wallet classes and card objects now (inserting the "
        "objects Google lacks), with a progress bar and a summary."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--merchant", required=True, help="The merchant's schema name (see the platform admin)."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Also re-send the objects Google already has as we would send them.",
        )
        parser.add_argument(
            "--every",
            type=int,
            default=500,
            help="When stderr is not a terminal, print progress every this many cards.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not google_configured():
            missing = [name for name in GOOGLE_REQUIRED if not getattr(settings, name, "")]
            raise CommandError(
                "Google Wallet is not configured (it is off): set " + ", ".join(missing),
                returncode=2,
            )
        schema = options["merchant"]
        merchant = Merchant.objects.filter(schema_name=schema).first()
        if merchant is None or schema == "public":
            raise CommandError(f"No merchant has the schema {schema!r}.", returncode=2)
        force = options["force"]
        with tenant_context(merchant):
            classes_refused, classes_postponed = self._sync_classes(force=force)
            total = LoyaltyCard.objects.count()
            progress = Progress(self.stderr, total=total, every=options["every"])
            report = SyncReport()
            for card_ids in card_batches(only_inserted=False, size=BATCH):
                for card_id in card_ids:
                    report.add(sync_cards([card_id], force=force))
                    progress.advance(1)
            progress.finish()
        # Forced, every object is sent whole as an insert (Google's "already exists" turns it into
        # a patch inside the client): the sync cannot tell the two apart.
        inserted = "inserted or re-sent" if force else "inserted"
        self.stdout.write(
            f"{merchant.name} ({schema}): {total} cards — {inserted} {report.inserted}, "
            f"patched {report.patched}, unchanged {report.unchanged}, refused {report.rejected}, "
            f"postponed {len(report.retry_card_ids)}."
        )
        if classes_refused or report.rejected:
            self.stdout.write(
                self.style.WARNING(
                    "Refusals are recorded on the programmes and cards (back office, filter "
                    "“Google Wallet: Refused”)."
                )
            )
        if classes_postponed or report.retry_card_ids:
            self.stdout.write(
                self.style.WARNING(
                    "Google could not take some requests now (quota or outage): run the command "
                    "again later."
                )
            )

    def _sync_classes(self, *, force: bool) -> tuple[int, int]:
        refused = postponed = 0
        programs = LoyaltyProgram.objects.select_related("wallet").order_by("pk")
        for program in programs:
            try:
                state = sync_class(program, force=force)
            except GoogleTransientError as error:
                postponed += 1
                self.stderr.write(f"Programme {program.card_name!r}: postponed ({error})")
                continue
            if state.error:
                refused += 1
                self.stderr.write(
                    self.style.ERROR(f"Programme {program.card_name!r}: refused: {state.error}")
                )
        self.stdout.write(
            f"Classes: {programs.count()} programmes, {refused} refused, {postponed} postponed."
        )
        return refused, postponed
