"""The back office's pages about a store's QR code: the code as PNG and SVG, and a printable
poster. ``StoreAdmin`` routes them behind the site's login; each checks the store permissions."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString, mark_safe

from common.admin import ObjectPagesAdmin
from common.colors import readable_ink
from common.qr import qr_png, qr_svg
from common.urls import absolute_url
from programs.models import Store
from programs.rules import DEFAULT_CARD_COLOR
from programs.selectors import membership_refusal


def enrollment_url(request: HttpRequest, store: Store) -> str:
    """The link a store's QR code opens, on the host the merchant uses right now."""
    return absolute_url(
        request.tenant.domain_url,  # type: ignore[attr-defined]
        reverse("join", kwargs={"store_code": store.code}),
    )


def _inline_qr(data: str, *, scale: int, title: str, scalable: bool = False) -> SafeString:
    svg = qr_svg(data, scale=scale, title=title)
    if scalable:
        # segno writes a fixed width and height; a viewBox instead lets CSS size it on paper.
        svg = re.sub(r'width="(\d+)" height="(\d+)"', r'viewBox="0 0 \1 \2"', svg, count=1)
    # Markup segno generated, with the title escaped: safe to inline in a page.
    return mark_safe(svg)  # noqa: S308


def enrollment_links(
    request: HttpRequest, store: Store, *, store_admin: ObjectPagesAdmin
) -> dict[str, Any]:
    """The QR code section of a store's change form: the code, its link and the downloads."""
    join_url = enrollment_url(request, store)
    return {
        "url": join_url,
        "qr": _inline_qr(join_url, scale=3, title=store.name),
        "poster_url": store_admin.object_url("poster", store),
        "png_url": store_admin.object_url("qr_png", store),
        "svg_url": store_admin.object_url("qr_svg", store),
    }


def _store_for(request: HttpRequest, object_id: str, store_admin: ObjectPagesAdmin) -> Store:
    if not store_admin.has_view_permission(request):
        raise PermissionDenied
    store = store_admin.get_object(request, unquote(object_id))
    if store is None:
        raise Http404
    if not store_admin.has_view_permission(request, store):
        raise PermissionDenied
    return store


def qr_png_view(
    request: HttpRequest, object_id: str, *, store_admin: ObjectPagesAdmin
) -> HttpResponse:
    store = _store_for(request, object_id, store_admin)
    response = HttpResponse(qr_png(enrollment_url(request, store), scale=12), "image/png")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"store-{store.code}-qr.png"
    )
    return response


def qr_svg_view(
    request: HttpRequest, object_id: str, *, store_admin: ObjectPagesAdmin
) -> HttpResponse:
    store = _store_for(request, object_id, store_admin)
    svg = qr_svg(enrollment_url(request, store), scale=10, title=store.name)
    response = HttpResponse(svg, "image/svg+xml")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=False, filename=f"store-{store.code}-qr.svg"
    )
    return response


def poster_view(
    request: HttpRequest, object_id: str, *, store_admin: ObjectPagesAdmin
) -> HttpResponse:
    store = _store_for(request, object_id, store_admin)
    program = store.program
    join_url = enrollment_url(request, store)
    color = program.card_color if program else DEFAULT_CARD_COLOR
    # The poster may be printed in the customers' language, not the merchant's.
    languages = dict(settings.LANGUAGES)
    language = request.GET.get("language")
    if language not in languages:
        language = translation.get_language()
    context = {
        "store": store,
        "program": program,
        "card_name": program.card_name if program else store.name,
        "card_color": color,
        "text_color": readable_ink(color),
        "logo_src": (program.logo.url if program.logo else program.logo_url) if program else "",
        "join_url": join_url,
        "short_url": join_url.split("://", 1)[-1],
        "qr": _inline_qr(join_url, scale=10, title=store.name, scalable=True),
        "png_url": store_admin.object_url("qr_png", store),
        "svg_url": store_admin.object_url("qr_svg", store),
        "change_url": store_admin.object_url("change", store),
        "languages": list(languages.items()),
        "poster_language": language,
        "unavailable": membership_refusal(store=store, program=program) is not None,
    }
    with translation.override(language):
        return render(request, "admin/programs/store/poster.html", context)
