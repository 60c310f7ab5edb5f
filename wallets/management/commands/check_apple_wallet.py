"""``manage.py check_apple_wallet``: are the Apple Wallet credentials ready to sign passes?

One line per finding; exit status 1 when any is an error (Apple Wallet off included), so a
deployment can run it as a gate.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from wallets.apple.checks import Level, check_credentials, has_errors


class Command(BaseCommand):
    help = "Check the Apple Wallet settings: certificate, key, team, pass type id, WWDR, APNs CA."

    def handle(self, *args: Any, **options: Any) -> None:
        findings = check_credentials()
        for finding in findings:
            if finding.level is Level.OK:
                self.stdout.write(self.style.SUCCESS(str(finding)))
            elif finding.level is Level.WARNING:
                self.stdout.write(self.style.WARNING(str(finding)))
            else:
                self.stderr.write(self.style.ERROR(str(finding)))
        if has_errors(findings):
            raise CommandError("Apple Wallet is not ready", returncode=1)
        self.stdout.write("Apple Wallet is ready to sign passes.")
