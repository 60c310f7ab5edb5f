"""Create a merchant from the command line: the same service as the sign-up page."""

from __future__ import annotations

import getpass
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.emails import normalise_email
from common.urls import absolute_url
from merchants.services import MerchantSignup, create_merchant


class Command(BaseCommand):
    help = "Create a merchant with its schema, its host name and an owner account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="Business name")
        parser.add_argument("--slug", required=True, help="Schema and sub-domain, e.g. cafe-paris")
        parser.add_argument("--email", required=True, help="Owner's e-mail (their user name)")
        parser.add_argument(
            "--password",
            help="Owner's password; asked for when omitted "
            "(prefer the prompt: arguments land in shell history)",
        )
        parser.add_argument("--json", action="store_true", help="Print a JSON object last")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or getpass.getpass("Owner password: ")
        signup = MerchantSignup(
            name=options["name"],
            slug=options["slug"].strip().lower(),
            email=normalise_email(options["email"]),
            password=password,
        )
        try:
            merchant = create_merchant(signup=signup)
        except ValidationError as error:
            messages = [
                f"{field}: {' '.join(m for m in msgs)}"
                for field, msgs in error.message_dict.items()
            ]
            raise CommandError("; ".join(messages)) from error
        admin_url = absolute_url(merchant.primary_host, "/admin/")
        self.stdout.write(self.style.SUCCESS(f"Created {merchant.name}: {admin_url}"))
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "slug": merchant.slug,
                        "host": merchant.primary_host,
                        "admin_url": admin_url,
                        "admin_user": signup.email,
                    }
                )
            )
