"""Business-rule errors with a stable machine code, shared by the API, the pages and the tasks."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    """A refusal a user or an integrator should see, with a stable ``code`` and an HTTP status."""

    status_code = 400
    default_code = "invalid"
    default_message: Any = _("The request is invalid.")

    def __init__(self, message: Any = None, *, code: str | None = None, **extra: Any) -> None:
        self.message = message if message is not None else self.default_message
        self.code = code or self.default_code
        self.extra = extra
        super().__init__(str(self.message))

    def as_dict(self) -> dict[str, Any]:
        return {"detail": str(self.message), "code": self.code, **self.extra}


class NotFound(ApplicationError):
    status_code = 404
    default_code = "not_found"
    default_message = _("Not found.")


class Conflict(ApplicationError):
    status_code = 409
    default_code = "conflict"
    default_message = _("The request conflicts with the current state.")
