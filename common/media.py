"""Uploaded files (programme logos) served from MEDIA_ROOT by Django, when no object storage is
configured: fine for small deployments, and what development uses.

A merchant's host serves only files under its own schema's folder (``<schema>/…``, see
programs.models.program_logo_path), and only image types: another merchant's logo, a path that
climbs out of MEDIA_ROOT or any other kind of file is a 404.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest
from django.utils._os import safe_join
from django.views.decorators.http import require_safe

IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}


@require_safe
def media_file(request: HttpRequest, path: str) -> FileResponse:
    parts = PurePosixPath(path).parts
    content_type = IMAGE_TYPES.get(PurePosixPath(path).suffix.lower())
    # "<own schema>/…" and nothing that climbs: "beta/../alpha/x.png" stays inside MEDIA_ROOT
    # (safe_join allows it) but is another merchant's file.
    if (
        content_type is None
        or len(parts) < 2
        or parts[0] != connection.schema_name
        or any(part in ("..", ".") or "\\" in part for part in parts)
    ):
        raise Http404
    try:
        full_path = Path(safe_join(settings.MEDIA_ROOT, *parts))
    except SuspiciousFileOperation as error:
        raise Http404 from error
    if not full_path.is_file():
        raise Http404
    response = FileResponse(full_path.open("rb"), content_type=content_type)
    # Every upload gets a new name, so a copy may be kept; logos are public on the join page.
    response["Cache-Control"] = "public, max-age=86400"
    return response
