"""``Authorization: Bearer lk_…`` for Wizamart and POS systems, valid on its own merchant's host
only (the key lives in that merchant's schema, so another host simply does not know it)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from staff.models import ApiKey
from staff.services import authenticate_api_key


class ApiKeyAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[AnonymousUser, ApiKey] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send the key as “Bearer <key>”."))
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed(_("Invalid API key.")) from error
        key = authenticate_api_key(raw)
        if key is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        return AnonymousUser(), key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class HasApiKeyScope(BasePermission):
    """Reads need the ``read`` scope, writes the ``write`` scope."""

    message = _("This API key does not have the scope for this operation.")

    def has_permission(self, request: Request, view: Any) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            raise exceptions.NotAuthenticated()
        return key.has_scope("read" if request.method in SAFE_METHODS else "write")


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "staff.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A merchant's API key, `lk_<prefix>_<secret>`, created in the back "
            "office. Valid only on that merchant's host.",
        }
