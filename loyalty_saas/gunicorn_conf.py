"""gunicorn settings for the image (``gunicorn -c python:loyalty_saas.gunicorn_conf``).

The access log goes to stdout in gunicorn's usual format, with secrets and personal data taken
out of every field that can carry them (``common.log_redaction``): the request line, the path,
the query string and the referrer (a card page's address is the referrer of its QR image).
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from common.log_redaction import REDACTED, redact

accesslog = "-"
logger_class = "loyalty_saas.gunicorn_conf.RedactingLogger"

# Request headers that hold credentials: never written, whatever access_log_format asks for.
_SECRET_HEADERS = ("{authorization}i", "{cookie}i", "{x-api-key}i")


class RedactingLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("r", "U", "f"):
            if atoms.get(name):
                atoms[name] = redact(atoms[name])
        if atoms.get("q"):
            atoms["q"] = redact("?" + atoms["q"])[1:]
        for name in _SECRET_HEADERS:
            if name in atoms:
                atoms[name] = REDACTED
        return atoms
