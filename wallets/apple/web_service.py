"""The rules of Apple's PassKit web service that are not HTTP: the update tag, the pass's
``Last-Modified`` second and the ``ApplePass`` authorization.

A pass's version is ``package.pass_modified_at(wallet_pass)``: the latest ``updated_at``
(microseconds) of the card, its customer, programme and store, or the pass's ``message_at`` when
a message came later. Two clocks meet it:

- the tag (``passesUpdatedSince`` / ``lastUpdated``) is ours, opaque to the device: the version in
  integer microseconds, so two changes within one second are told apart;
- HTTP dates (``Last-Modified`` / ``If-Modified-Since``) have whole seconds only.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re

# A row's updated_at is read from the clock when its transaction writes it, but other requests
# see it only once that transaction commits, which can be a little later. Every transaction that
# stamped a time older than "now - SETTLE_MARGIN" is taken to have committed by now (ours are
# short: lock_timeout and statement limits keep them well under a second). So a tag never moves
# past "now - SETTLE_MARGIN": a change stamped before that point but committed after the device's
# query is still newer than the tag the device got, and is listed the next time it asks. The cost
# is that a pass changed in the last few seconds is listed (and downloaded) once more. The margin
# also absorbs a small skew between the application servers' clocks (which stamp updated_at) and
# the database's (which the listing measures from).
SETTLE_MARGIN = dt.timedelta(seconds=5)

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_TAG = re.compile(r"^[0-9]{1,19}$")
_SCHEME = "applepass"


def tag_for(moment: dt.datetime) -> str:
    """The tag a device sends back as ``passesUpdatedSince``: microseconds since the epoch."""
    return str((moment - EPOCH) // dt.timedelta(microseconds=1))


def moment_of(tag: str | None) -> dt.datetime | None:
    """The time a tag stands for; None (every registered pass) for a missing or foreign tag,
    e.g. one handed out by a service this one replaced: listing a pass too many is harmless."""
    if not tag or not _TAG.match(tag):
        return None
    try:
        return EPOCH + dt.timedelta(microseconds=int(tag))
    except OverflowError:
        return None


def next_tag(*, newest_version: dt.datetime, database_now: dt.datetime) -> str:
    """``lastUpdated`` for a list whose newest pass has ``newest_version``: see SETTLE_MARGIN."""
    return tag_for(min(newest_version, database_now - SETTLE_MARGIN))


def last_modified(version: dt.datetime, *, now: dt.datetime) -> dt.datetime:
    """The whole second to send as ``Last-Modified`` for a pass at ``version``.

    The device sends it back as ``If-Modified-Since`` and gets 304 iff ``version`` is older
    (``not_modified``). When the end of the version's second lies before "now - SETTLE_MARGIN",
    that end is sent: every change made or committed later has a later version (SETTLE_MARGIN), so
    304 is answered only while nothing changed. While it does not, the start of the second is
    sent: a second change within the same second (or one still committing) would otherwise be
    older than the date and answered 304, lost; instead that pass is sent in full once more.
    """
    start = version.replace(microsecond=0)
    end = start + dt.timedelta(seconds=1)
    return end if end <= now - SETTLE_MARGIN else start


def not_modified(version: dt.datetime, *, if_modified_since: int | None) -> bool:
    """Whether a device holding the pass of ``If-Modified-Since`` (epoch seconds, parsed with
    ``django.utils.http.parse_http_date_safe``) already has ``version``."""
    if if_modified_since is None:
        return False
    return version < EPOCH + dt.timedelta(seconds=if_modified_since)


def authorization_matches(header: str, auth_token: str) -> bool:
    """Whether ``Authorization: ApplePass <token>`` carries the pass's token; compared in constant
    time, so the answer's timing tells nothing about how much of a guess was right."""
    scheme, _space, token = header.strip().partition(" ")
    if scheme.lower() != _SCHEME:
        return False
    return hmac.compare_digest(token.strip().encode(), auth_token.encode())
