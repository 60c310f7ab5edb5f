from __future__ import annotations

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import get_public_schema_name


def set_null_in_merchant_schemas(collector: Any, field: Any, sub_objs: Any, using: str) -> None:
    """``SET_NULL`` for a merchant's rows that name one of its users, except in the public
    schema: users exist there too (platform staff) but the merchant's tables do not, so deleting
    a platform user must not even look for them. ``lazy_sub_objs`` keeps the deletion collector
    from querying before this is asked."""
    if connection.schema_name == get_public_schema_name():
        return
    models.SET_NULL(collector, field, sub_objs, using)


set_null_in_merchant_schemas.lazy_sub_objs = True  # type: ignore[attr-defined]


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class IdempotencyRecord(models.Model):
    """The first response to a write sent with an ``Idempotency-Key``: a retry by the same caller
    with the same key gets it back (same status, same body) and writes nothing; the same key for
    another request is refused. Written in the operation's own transaction and unique per caller
    and key, so two concurrent retries cannot both act (see common.idempotency)."""

    caller = models.CharField(max_length=80)
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="idempotency_caller_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.caller} {self.key}"
