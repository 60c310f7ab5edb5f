"""Create (or reuse) a demo merchant for development, demos, integration tests and benchmarks.

SPEC §9. Passwords are random per checkout and kept in ``.data/seed-<slug>.json`` (never in the
repository) so that running the command again prints the same working credentials.
"""

from __future__ import annotations

import json
import secrets
import string
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django_tenants.utils import schema_context

from cards.models import LoyaltyTransaction, TransactionType
from cards.services import StaffAuth, add_stamps, enroll_customer
from common.request_meta import RequestMeta
from common.urls import absolute_url
from merchants.models import Merchant
from merchants.services import MerchantSignup, create_merchant
from messaging.models import Message, MessageKind, Trigger
from messaging.services import create_campaign, set_automation
from programs.models import LoyaltyProgram, Store
from programs.selectors import store_by_code
from programs.services import (
    create_program,
    create_store,
    record_poster_opened,
    set_program_stores,
    update_store,
)
from staff.models import StaffPin
from staff.pins import pin_matches, pin_problem
from staff.services import (
    authenticate_api_key,
    create_api_key,
    create_staff_pin,
    update_staff_pin,
)
from wallets.apple.dev_certs import DEV_PASS_TYPE_ID
from wallets.config import apple_configured

# Opening hours let the statistics flag operations made outside them: a stamp added late in the
# evening or on the café's closed Sunday shows in the flagged activity.
CAFE_HOURS = [["07:30", "18:00"]]
BAKERY_HOURS = [["06:30", "12:30"], ["14:00", "18:30"]]
DEMO_STORES = [
    {
        "name": "Main Street Café",
        "code": "main-street",
        "address": "1 Main Street, Luxembourg",
        "opening_hours": {
            **dict.fromkeys(["mon", "tue", "wed", "thu", "fri"], CAFE_HOURS),
            "sat": [["08:00", "17:00"]],
            "sun": [],
        },
    },
    {
        "name": "Harbour Bakery",
        "code": "harbour",
        "address": "12 Quai du Port, Luxembourg",
        "opening_hours": {
            "mon": [],
            **dict.fromkeys(["tue", "wed", "thu", "fri", "sat"], BAKERY_HOURS),
            "sun": [["07:00", "12:00"]],
        },
    },
    # A second shop of the coffee programme: a card made at either is valid at both.
    {
        "name": "Station Kiosk",
        "code": "station",
        "address": "Place de la Gare, Luxembourg",
        "opening_hours": {day: [["06:00", "20:00"]] for day in ["mon", "tue", "wed", "thu", "fri"]},
    },
]
# The stores taking part in another store's programme.
DEMO_PARTICIPANTS = {"station": "main-street"}
DEMO_PROGRAMS = {
    "main-street": {
        "loyalty_type": "stamps",
        "card_name": "Main Street Coffee Card",
        "stamps_target": 10,
        "stamps_reward_description": "A free coffee",
        "cooldown_minutes": 15,
        "max_daily_stamps": 5,
        "card_color": "#6B3E26",
    },
    "harbour": {
        "loyalty_type": "points",
        "card_name": "Harbour Bakery Points",
        "stamps_target": None,
        "points_per_euro": Decimal("1"),
        "card_color": "#0B5CAD",
        "points_rewards": [{"id": "free-cake", "name": "A free cake", "points_cost": 50}],
    },
}
PLATFORM_ADMIN_USER = "platform-admin"
# The platform admin is one user for every slug: its password is kept apart from the per-slug
# files, so seeding another slug never changes the password printed for the first one.
PLATFORM_SECRETS_FILE = "seed-platform.json"


class Command(BaseCommand):
    help = "Create or reuse the demo merchant and print its URLs and credentials."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", default="demo")
        parser.add_argument(
            "--json", action="store_true", help="Print one JSON object on the last line"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug: str = options["slug"]
        secrets_file = Path(settings.DATA_DIR) / f"seed-{slug}.json"
        saved = _read(secrets_file)
        owner = f"owner@{slug}.example"
        owner_password = saved.get("admin_password") or _new_password()
        platform_password = _platform_password(Path(settings.DATA_DIR), saved)

        merchant = Merchant.objects.filter(schema_name=slug).first()
        if merchant is None:
            merchant = create_merchant(
                signup=MerchantSignup(
                    name=f"{slug.capitalize()} Coffee & Bakery",
                    slug=slug,
                    email=owner,
                    password=owner_password,
                )
            )
        _ensure_user(
            schema="public",
            username=PLATFORM_ADMIN_USER,
            email=f"{PLATFORM_ADMIN_USER}@{settings.PLATFORM_DOMAIN}",
            password=platform_password,
        )
        _write(
            Path(settings.DATA_DIR) / PLATFORM_SECRETS_FILE,
            {"platform_admin_password": platform_password},
        )
        with schema_context(merchant.schema_name):
            _ensure_user(
                schema=merchant.schema_name, username=owner, email=owner, password=owner_password
            )
            stores = [_ensure_store(spec) for spec in DEMO_STORES]
            programs = _ensure_programs(stores)
            api_key = saved.get("api_key")
            if not api_key or authenticate_api_key(api_key) is None:
                _key, api_key = create_api_key(name="Demo integration", scopes=["read", "write"])
            saved_pins: dict[str, str] = saved.get("pins") or {}
            staff_pins = [_ensure_pin(store, saved_pins.get(store.code)) for store in stores]
            _finish_set_up(slug, stores, programs, staff_pins)
            _ensure_messages()

        _write(
            secrets_file,
            {
                "admin_password": owner_password,
                "platform_admin_password": platform_password,
                "api_key": api_key,
                "pins": {entry["store_code"]: entry["pin"] for entry in staff_pins},
            },
        )
        result = {
            "host": merchant.primary_host,
            "stores": [
                _store_json(store, program) for store, program in zip(stores, programs, strict=True)
            ],
            "staff_pins": staff_pins,
            "api_key": api_key,
            "admin_user": owner,
            "admin_password": owner_password,
            "admin_url": absolute_url(merchant.primary_host, "/admin/"),
            "platform_admin_user": PLATFORM_ADMIN_USER,
            "platform_admin_password": platform_password,
            "platform_url": absolute_url(settings.PLATFORM_DOMAIN, "/"),
        }
        self._print_summary(result)
        if options["json"]:
            self.stdout.write(json.dumps(result))

    def _print_summary(self, result: dict[str, Any]) -> None:
        lines = [
            "",
            "Demo merchant ready",
            f"  Platform:        {result['platform_url']}  (sign-up: "
            f"{result['platform_url']}signup/)",
            f"  Platform admin:  {result['platform_url']}admin/  user "
            f"{result['platform_admin_user']}  password {result['platform_admin_password']}",
            f"  Merchant admin:  {result['admin_url']}  user {result['admin_user']}  "
            f"password {result['admin_password']}",
            "  Stores:          " + ", ".join(s["code"] for s in result["stores"]),
            "  Join pages:      "
            + ", ".join(
                absolute_url(result["host"], f"/join/{s['code']}/") for s in result["stores"]
            ),
            f"  Staff terminal:  {absolute_url(result['host'], '/staff/')}  (sign in as the owner)",
            "  Staff PINs:      "
            + ", ".join(
                f"{p['store_code']}: #{p['id']} {p['name']} PIN {p['pin']}"
                for p in result["staff_pins"]
            ),
            f"  API key:         {result['api_key']}",
            f"  API docs:        {absolute_url(result['host'], '/api/docs/')}",
            *_mail_line(),
            _apple_line(),
            "",
        ]
        self.stdout.write("\n".join(lines))


def _mail_line() -> list[str]:
    """Where customer e-mails (card links) go when no mail server is configured."""
    if settings.EMAIL_BACKEND != "django.core.mail.backends.filebased.EmailBackend":
        return []
    folder = Path(settings.EMAIL_FILE_PATH)
    shown = (
        folder.relative_to(settings.BASE_DIR)
        if folder.is_relative_to(settings.BASE_DIR)
        else folder
    )
    return [f"  E-mails:         written to {shown}/ (EMAIL_URL unset)"]


def _apple_line() -> str:
    """Whether the card pages' "Add to Apple Wallet" works, and with which certificates."""
    if not apple_configured():
        return "  Apple Wallet:    off (no APPLE_* settings; see README, Apple Wallet)"
    if settings.APPLE_PASS_TYPE_ID == DEV_PASS_TYPE_ID:
        return (
            "  Apple Wallet:    development certificates: passes download for inspection, "
            "no iPhone opens them"
        )
    return f"  Apple Wallet:    on, pass type {settings.APPLE_PASS_TYPE_ID}"


def _store_json(store: Store, program: LoyaltyProgram) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "code": store.code,
        "name": store.name,
        "program_id": program.pk,
        "loyalty_type": program.loyalty_type,
    }
    if program.points_rewards:
        entry["reward_id"] = program.points_rewards[0]["id"]
    return entry


def _ensure_programs(stores: list[Store]) -> list[LoyaltyProgram]:
    """Each store's programme: its own (DEMO_PROGRAMS), or the one it takes part in."""
    by_code = {store.code: store for store in stores}
    for store in stores:
        if store.program is None and store.code in DEMO_PROGRAMS:
            create_program(store=store, **DEMO_PROGRAMS[store.code])
    for code, host in DEMO_PARTICIPANTS.items():
        store, program = by_code[code], by_code[host].program
        if store.program is None and program is not None:
            set_program_stores(program=program, stores=[*program.stores.all(), store])
            store.program = program
    return [store.program for store in stores]  # type: ignore[misc]


def _ensure_store(spec: dict[str, Any]) -> Store:
    store = store_by_code(spec["code"])
    if store is None:
        return create_store(**spec)
    if not store.opening_hours:  # seeded before stores had opening hours
        store = update_store(store=store, opening_hours=spec["opening_hours"])
    return store


def _ensure_pin(store: Store, pin: str | None) -> dict[str, Any]:
    """The store's demo cashier, with the saved PIN (a new random one when none works)."""
    name = "Demo cashier"
    staff_pin = StaffPin.objects.filter(store=store, name=name, is_active=True).first()
    if staff_pin is None or not pin or not pin_matches(staff_pin.pin_hash, pin):
        pin = _new_pin()
        while pin_problem(pin):
            pin = _new_pin()
        if staff_pin is None:
            staff_pin = create_staff_pin(store=store, name=name, pin=pin)
        else:
            staff_pin = update_staff_pin(staff_pin=staff_pin, pin=pin, unlock=True)
    return {"id": staff_pin.pk, "store_code": store.code, "name": name, "pin": pin}


def _finish_set_up(
    slug: str, stores: list[Store], programs: list[LoyaltyProgram], staff_pins: list[dict[str, Any]]
) -> None:
    """Tick the back office's set-up checklist as for a shop open for a while: the posters were
    opened and a first stamp was given (to a demo customer), once."""
    for store in stores:
        record_poster_opened(store_id=store.pk)
    earned = [TransactionType.STAMP_EARNED, TransactionType.POINTS_EARNED]
    if LoyaltyTransaction.objects.filter(transaction_type__in=earned).exists():
        return
    store, entry = next(
        (store, entry)
        for store, program, entry in zip(stores, programs, staff_pins, strict=True)
        if program.has_stamps
    )
    card = enroll_customer(
        store_code=store.code, name="Demo customer", email=f"demo-customer@{slug}.example"
    ).card
    add_stamps(
        card_number=card.card_number,
        staff=StaffAuth(staff_pin_id=entry["id"], pin=entry["pin"]),
        meta=RequestMeta.system(),
        scope_store=store,
    )


# Lock-screen messages (issue 14): two automations on, in the four languages, and a draft campaign.
DEMO_AUTOMATIONS = {
    Trigger.WELCOME: {
        "en": "Welcome! Your card is ready: every visit brings you closer to a reward.",
        "fr": "Bienvenue ! Votre carte est prête : chaque visite vous rapproche d'une récompense.",
        "de": "Willkommen! Ihre Karte ist bereit: Jeder Besuch bringt Sie einer Prämie näher.",
        "lb": "Wëllkomm! Är Kaart ass prett: all Visite bréngt Iech méi no bei eng Belounung.",
    },
    Trigger.REWARD_READY: {
        "en": "Your reward is ready: show your card at the counter.",
        "fr": "Votre récompense est prête : montrez votre carte à la caisse.",
        "de": "Ihre Prämie ist bereit: Zeigen Sie Ihre Karte an der Kasse.",
        "lb": "Är Belounung ass prett: weist Är Kaart un der Keess.",
    },
}
DEMO_CAMPAIGN = "Double stamps on Saturday"
DEMO_CAMPAIGN_TEXTS = {
    "en": {"text": "Double stamps this Saturday, all day!", "detail": "Every stamp counts twice."},
    "fr": {"text": "Tampons doublés ce samedi, toute la journée !", "detail": ""},
    "de": {"text": "Doppelte Stempel diesen Samstag, den ganzen Tag!", "detail": ""},
    "lb": {"text": "Duebel Stempelen dëse Samschdeg, de ganzen Dag!", "detail": ""},
}


def _ensure_messages() -> None:
    """The automations' words (welcome and reward ready on) and one draft campaign, once: a
    merchant's later changes to them are kept on the next run."""
    existing = set(
        Message.objects.filter(kind=MessageKind.AUTOMATION).values_list("trigger", flat=True)
    )
    for trigger, texts in DEMO_AUTOMATIONS.items():
        if trigger in existing:
            continue
        set_automation(
            trigger=trigger,
            enabled=True,
            texts={language: {"text": text} for language, text in texts.items()},
        )
    if not Message.objects.filter(kind=MessageKind.CAMPAIGN, name=DEMO_CAMPAIGN).exists():
        create_campaign(name=DEMO_CAMPAIGN, texts=DEMO_CAMPAIGN_TEXTS)


def _new_pin() -> str:
    return f"{secrets.randbelow(10_000):04d}"


def _platform_password(data_dir: Path, saved: dict[str, Any]) -> str:
    """The platform admin's password: the shared one, else one a per-slug file printed before.

    Checkouts seeded before the shared file existed kept it in ``seed-<slug>.json``; the one that
    still signs the user in is kept, so no password printed earlier stops working.
    """
    shared = _read(data_dir / PLATFORM_SECRETS_FILE).get("platform_admin_password")
    if shared:
        return shared
    candidates = [saved.get("platform_admin_password")] + [
        _read(path).get("platform_admin_password") for path in sorted(data_dir.glob("seed-*.json"))
    ]
    candidates = [password for password in candidates if password]
    with schema_context("public"):
        user = get_user_model().objects.filter(username=PLATFORM_ADMIN_USER).first()
    if user is None:
        return candidates[0] if candidates else _new_password()
    for password in candidates:
        if user.check_password(password):
            return password
    return _new_password()


def _ensure_user(*, schema: str, username: str, email: str, password: str) -> None:
    with schema_context(schema):
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user_model.objects.create_superuser(username=username, email=email, password=password)
        elif not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])


def _new_password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(16))


def _read(path: Path) -> dict[str, str]:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def _write(path: Path, data: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    path.chmod(0o600)
