"""The sidebars of the two admin sites (django-unfold's ``SIDEBAR.navigation``), built per request.

The back office groups what a merchant manages the way they think of it, not by Django app: their
customers and cards, their programmes and stores, their staff, the wallets, their settings. An
entry is shown only to a user allowed to see its page, so a cashier's back office holds only what
they may open. Pages are named by URL name, so this module imports no app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def backoffice_stylesheet(request: HttpRequest) -> str:
    return static("backoffice/backoffice.css")


def _may(permission: str) -> Callable[[HttpRequest], bool]:
    def check(request: HttpRequest) -> bool:
        return bool(request.user.has_perm(permission))

    return check


def _page(title: Any, icon: str, url_name: str, permission: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"title": title, "icon": icon, "link": reverse(url_name)}
    if permission is not None:
        item["permission"] = _may(permission)
    return item


def _model(title: Any, icon: str, app_label: str, model: str, site: str) -> dict[str, Any]:
    return _page(title, icon, f"{site}:{app_label}_{model}_changelist", f"{app_label}.view_{model}")


def _card_list_active(site: str, google_wallet: str | None) -> Callable[[HttpRequest], bool]:
    """The card list is one page under three entries (all cards, and the two Google Wallet
    views): the entry whose filter the page shows is the highlighted one."""

    def active(request: HttpRequest) -> bool:
        on_list = request.path.startswith(reverse(f"{site}:cards_loyaltycard_changelist"))
        return on_list and request.GET.get("google_wallet") == google_wallet

    return active


def _messages_active(site: str, page: str) -> Callable[[HttpRequest], bool]:
    """The message pages share one URL prefix: the campaigns' entry is highlighted on the
    campaigns' pages only, not on the automations' or the settings' beside them."""

    def active(request: HttpRequest) -> bool:
        campaigns = reverse(f"{site}:messaging_message_changelist")
        others = {
            name: reverse(f"{site}:messaging_message_{name}")
            for name in ("automations", "settings")
        }
        if page in others:
            return request.path.startswith(others[page])
        return request.path.startswith(campaigns) and not any(
            request.path.startswith(url) for url in others.values()
        )

    return active


def backoffice_navigation(request: HttpRequest) -> list[dict[str, Any]]:
    site = "backoffice"
    return [
        {
            "title": _("Overview"),
            "items": [_page(_("Dashboard"), "monitoring", f"{site}:index")],
        },
        {
            "title": _("Customers & cards"),
            "separator": True,
            "items": [
                _model(_("Customers"), "group", "cards", "customer", site),
                {
                    **_model(_("Cards"), "loyalty", "cards", "loyaltycard", site),
                    "active": _card_list_active(site, None),
                },
                _model(_("Transactions"), "receipt_long", "cards", "loyaltytransaction", site),
                _model(_("Data requests"), "shield_person", "cards", "datarequest", site),
            ],
        },
        {
            "title": _("Programmes & stores"),
            "separator": True,
            "items": [
                _model(_("Programmes"), "redeem", "programs", "loyaltyprogram", site),
                _model(_("Stores"), "storefront", "programs", "store", site),
            ],
        },
        {
            "title": _("Staff"),
            "separator": True,
            "items": [
                _model(_("Staff accounts"), "badge", "auth", "user", site),
                _model(_("Cashiers"), "person_apron", "staff", "cashier", site),
                _model(_("Staff PINs"), "pin", "staff", "staffpin", site),
                _model(_("Locked sign-ins"), "lock_person", "axes", "accessattempt", site),
                # Outside the admin: never the highlighted entry (unfold would match "/staff/"
                # inside "/admin/staff/…").
                {**_page(_("Counter terminal"), "point_of_sale", "terminal:home"), "active": False},
            ],
        },
        {
            "title": _("Wallets"),
            "separator": True,
            "items": [
                {
                    **_model(_("Cards in Google Wallet"), "wallet", "cards", "loyaltycard", site),
                    "link": reverse(f"{site}:cards_loyaltycard_changelist")
                    + "?google_wallet=synced",
                    "active": _card_list_active(site, "synced"),
                },
                {
                    **_model(_("Refused by Google"), "error", "cards", "loyaltycard", site),
                    "link": reverse(f"{site}:cards_loyaltycard_changelist")
                    + "?google_wallet=refused",
                    "active": _card_list_active(site, "refused"),
                },
            ],
        },
        {
            "title": _("Messages"),
            "separator": True,
            "items": [
                {
                    **_model(_("Campaigns"), "campaign", "messaging", "message", site),
                    "active": _messages_active(site, "changelist"),
                },
                {
                    **_page(
                        _("Automations"),
                        "bolt",
                        f"{site}:messaging_message_automations",
                        "messaging.change_message",
                    ),
                    "active": _messages_active(site, "automations"),
                },
                {
                    **_page(
                        _("Message settings"),
                        "tune",
                        f"{site}:messaging_message_settings",
                        "messaging.change_message",
                    ),
                    "active": _messages_active(site, "settings"),
                },
            ],
        },
        {
            "title": _("Settings"),
            "separator": True,
            "items": [
                _model(_("API keys"), "key", "staff", "apikey", site),
            ],
        },
    ]


def platform_navigation(request: HttpRequest) -> list[dict[str, Any]]:
    site = "platform_admin"
    return [
        {
            "title": _("Overview"),
            "items": [_page(_("Dashboard"), "monitoring", f"{site}:index")],
        },
        {
            "title": _("Merchants"),
            "separator": True,
            "items": [
                _model(_("Merchants"), "store", "merchants", "merchant", site),
                _model(_("Domains"), "language", "merchants", "domain", site),
            ],
        },
        {
            "title": _("Platform staff"),
            "separator": True,
            "items": [
                _model(_("Users"), "badge", "auth", "user", site),
                _model(_("Groups"), "groups", "auth", "group", site),
                _model(_("Locked sign-ins"), "lock_person", "axes", "accessattempt", site),
            ],
        },
        {
            "title": _("Background work"),
            "separator": True,
            "items": [
                _model(_("Periodic tasks"), "schedule", "django_celery_beat", "periodictask", site),
            ],
        },
    ]
