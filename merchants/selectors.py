"""Reads on the platform's tables that carry rules."""

from __future__ import annotations

import copy

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from common.ttl_cache import TTLCache
from merchants.models import Domain, Merchant

# Host name -> active merchant. Every request needs it and it changes a few times a year; a
# deactivation or a new domain reaches other processes within TENANT_HOST_CACHE_SECONDS.
_hosts: TTLCache[Merchant | None] = TTLCache(seconds=settings.TENANT_HOST_CACHE_SECONDS)


def tenant_for_host(hostname: str) -> Merchant | None:
    """The active merchant serving ``hostname``, or None."""
    tenant = _hosts.get_or_load(hostname, lambda: _load(hostname))
    # A copy per request: django-tenants writes request-specific attributes (domain_url) on it.
    return copy.copy(tenant) if tenant is not None else None


def _load(hostname: str) -> Merchant | None:
    domain = (
        Domain.objects.select_related("tenant")
        .filter(domain=hostname, tenant__is_active=True)
        .first()
    )
    return domain.tenant if domain is not None else None


def _forget_hosts(**kwargs: object) -> None:
    _hosts.invalidate()


for _model in (Merchant, Domain):
    post_save.connect(_forget_hosts, sender=_model, dispatch_uid=f"forget-hosts-{_model.__name__}")
    post_delete.connect(
        _forget_hosts, sender=_model, dispatch_uid=f"forget-hosts-del-{_model.__name__}"
    )
