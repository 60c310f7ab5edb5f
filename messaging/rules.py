"""The rules of a message that need no database: its words, the customer's language, quiet hours,
the holdout. Services and selectors ask these; nothing else decides them."""

from __future__ import annotations

import datetime as dt
import hashlib
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from messaging.models import DETAIL_MAX_LENGTH, TEXT_MAX_LENGTH

LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)

# A message's budget: Google's own limit per pass, and the merchant's weekly cap per customer.
PER_PASS_PER_DAY = 3
DAY = dt.timedelta(hours=24)
WEEK = dt.timedelta(days=7)

# A tenth of a campaign's audience is not sent it: the baseline the report compares with.
HOLDOUT_PERCENT = 10
# How long after a message a recipient's visit counts as "came back".
RETURN_WINDOW = dt.timedelta(days=14)


def clean_texts(texts: object, *, default_language: str) -> dict[str, dict[str, str]]:
    """``{"en": {"text", "detail"?}, …}`` checked and trimmed; raises ValidationError (field
    ``texts``) naming what is wrong. The default language's text is required: it is what a
    customer whose language the message lacks gets."""
    if not isinstance(texts, dict) or not texts:
        raise ValidationError({"texts": _("Write the message in at least one language.")})
    cleaned: dict[str, dict[str, str]] = {}
    for language, words in texts.items():
        if language not in LANGUAGE_CODES:
            raise ValidationError(
                {
                    "texts": _("“%(language)s” is not a language of the platform.")
                    % {"language": str(language)[:10]}
                }
            )
        if isinstance(words, str):
            words = {"text": words}
        if not isinstance(words, dict):
            raise ValidationError({"texts": _("Each language needs a text.")})
        text = str(words.get("text") or "").strip()
        detail = str(words.get("detail") or "").strip()
        if not text:
            if detail:
                raise ValidationError(
                    {
                        "texts": _("The %(language)s message needs its lock-screen line.")
                        % {"language": language}
                    }
                )
            continue
        if len(text) > TEXT_MAX_LENGTH:
            raise ValidationError(
                {
                    "texts": _(
                        "The lock-screen line has %(count)d characters; at most %(max)d show."
                    )
                    % {"count": len(text), "max": TEXT_MAX_LENGTH}
                }
            )
        if len(detail) > DETAIL_MAX_LENGTH:
            raise ValidationError(
                {
                    "texts": _("The text on the back has at most %(max)d characters.")
                    % {"max": DETAIL_MAX_LENGTH}
                }
            )
        if any(ord(char) < 32 for char in text) or any(
            ord(char) < 32 and char not in "\n\t" for char in detail
        ):
            raise ValidationError({"texts": _("Remove the control characters.")})
        cleaned[language] = {"text": text, "detail": detail}
    if default_language not in cleaned:
        raise ValidationError(
            {
                "texts": _(
                    "Write the message in the default language (%(language)s) too: customers "
                    "whose language it lacks get that one."
                )
                % {"language": default_language}
            }
        )
    return cleaned


def language_for(texts: dict[str, dict[str, str]], *, locale: str, default_language: str) -> str:
    """The language a customer gets: theirs when the message has it, else the default."""
    return locale if locale in texts else default_language


def in_quiet_hours(moment: dt.datetime, *, tz: str, start: dt.time, end: dt.time) -> bool:
    """Whether ``moment`` falls in the quiet hours [start, end) of the time zone ``tz``; a
    window across midnight (21:00 to 09:00) is the usual case. start == end: no quiet hours."""
    local = moment.astimezone(ZoneInfo(tz)).time()
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_hours_end(moment: dt.datetime, *, tz: str, start: dt.time, end: dt.time) -> dt.datetime:
    """The first moment at or after ``moment`` outside the quiet hours (``moment`` itself when
    it is outside)."""
    if not in_quiet_hours(moment, tz=tz, start=start, end=end):
        return moment
    zone = ZoneInfo(tz)
    local = moment.astimezone(zone)
    day = local.date() if local.time() < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, end, tzinfo=zone).astimezone(dt.UTC)


def is_holdout(*, message_id: int, card_id: int, percent: int = HOLDOUT_PERCENT) -> bool:
    """Whether the card is in the message's random holdout: a hash of both ids, so the draw is
    fixed (a re-run of the fan-out draws the same cards) yet unrelated between messages."""
    digest = hashlib.blake2b(f"{message_id}:{card_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 100 < percent
