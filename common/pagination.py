"""Pagination of the API's lists."""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """``limit``/``offset`` pagination with ``limit`` capped at ``max_limit``.

    Uncapped, a ``limit`` of 2^63 or more reached PostgreSQL as ``LIMIT``, whose ``bigint`` it
    overflows (a 500). A larger ``limit`` is served as ``max_limit`` rows with a ``next`` link,
    as DRF does for any cap; an ``offset`` beyond the last row is an empty page.
    """

    max_limit = 1000
