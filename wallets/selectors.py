from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db.models import DateTimeField, Func

from wallets.apple.package import PASS_SOURCES, pass_version
from wallets.apple.web_service import moment_of, next_tag
from wallets.models import AppleRegistration, WalletPass


def find_wallet_pass(*, serial_number: str, relations: Sequence[str] = ()) -> WalletPass | None:
    """The pass with its card (and the card's ``relations``) loaded."""
    return (
        WalletPass.objects.select_related("card", *(f"card__{name}" for name in relations))
        .filter(apple_serial_number=serial_number)
        .first()
    )


def find_apple_pass(*, serial_number: str) -> WalletPass | None:
    """A pass with everything it shows loaded (``apple.package.build_pkpass``)."""
    return (
        WalletPass.objects.select_related("card", *(f"card__{name}" for name in PASS_SOURCES))
        .filter(apple_serial_number=serial_number)
        .first()
    )


def is_our_pass_type(pass_type_id: str) -> bool:
    """Whether a device's path names the platform's pass type (every pass we sign has it)."""
    return bool(pass_type_id) and pass_type_id == settings.APPLE_PASS_TYPE_ID


def find_device_pass(*, pass_type_id: str, serial_number: str) -> WalletPass | None:
    """The pass a device names in the web service's paths: only passes of our pass type, and
    only this merchant's (the current schema)."""
    if not is_our_pass_type(pass_type_id):
        return None
    return find_apple_pass(serial_number=serial_number)


@dataclass(frozen=True)
class UpdatedPasses:
    serial_numbers: list[str]
    last_updated: str  # the tag the device sends back as passesUpdatedSince


def passes_updated_since(*, device_library_id: str, tag: str | None) -> UpdatedPasses | None:
    """The serial numbers of the passes registered on the device whose version is newer than
    ``tag``, and the next tag; None when there are none (Apple's 204).

    One query: each registration's pass version (``apple.package.pass_modified_at``, computed by
    the database) and the database's clock when the statement started, which the settle margin
    is measured from (``apple.web_service.SETTLE_MARGIN``). ``statement_timestamp()`` rather than
    ``now()``, the start of the transaction: the same in a request's autocommit, and never stale
    if this runs late in a longer transaction.
    """
    rows = AppleRegistration.objects.filter(device_library_id=device_library_id).annotate(
        version=pass_version("wallet_pass__"),
        database_now=Func(function="statement_timestamp", output_field=DateTimeField()),
    )
    since = moment_of(tag)
    if since is not None:
        rows = rows.filter(version__gt=since)
    found = list(rows.values_list("wallet_pass__apple_serial_number", "version", "database_now"))
    if not found:
        return None
    return UpdatedPasses(
        serial_numbers=sorted({serial for serial, _version, _now in found}),
        last_updated=next_tag(
            newest_version=max(version for _serial, version, _now in found),
            database_now=found[0][2],
        ),
    )
