"""CSV for exports: a DRF renderer (so ``?format=csv`` negotiates) and a streaming writer."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from rest_framework.renderers import BaseRenderer


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict | None = None,
    ) -> bytes:
        # Only errors reach here (exports stream); render them as a one-line CSV.
        if isinstance(data, dict):
            return "".join(csv_lines([list(data.keys()), [str(v) for v in data.values()]])).encode()
        return b""


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Lines of CSV, escaping cells that a spreadsheet would run as a formula."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([_safe(cell) for cell in row])


def _safe(cell: Any) -> Any:
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return "" if cell is None else cell
