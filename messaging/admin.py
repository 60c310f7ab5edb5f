"""The merchant's back office for lock-screen messages: campaigns (a composer with a live preview of
who it reaches, and a report once sent), the automations on one page, and the message settings.

Every write goes through ``messaging.services``; the pages only parse the form and show the
service's refusals on it. The figures come from ``messaging.selectors`` (preview, report).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from unfold.admin import ModelAdmin
from unfold.widgets import (
    INPUT_CLASSES,
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminSingleTimeWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
    UnfoldBooleanSwitchWidget,
)

from common.admin import ServiceForm, adopt, backoffice_site, render_admin_page, show_service_error
from messaging import rules
from messaging.models import (
    AUDIENCES_WITH_DAYS,
    AUDIENCES_WITH_STORE,
    DETAIL_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    Audience,
    Message,
    MessageKind,
    MessageStatus,
    MessagingSettings,
    SkipReason,
    Trigger,
)
from messaging.selectors import Preview, Report, messaging_settings, preview, report
from messaging.services import (
    cancel_campaign,
    create_campaign,
    schedule_campaign,
    set_automation,
    update_campaign,
    update_messaging_settings,
)
from programs.models import LoyaltyProgram, Store

LANGUAGES = tuple(settings.LANGUAGES)
EDITABLE = (MessageStatus.DRAFT, MessageStatus.SCHEDULED)
CANCELLABLE = (MessageStatus.SCHEDULED, MessageStatus.SENDING)
# Automations with a number of days (after how long they fire).
TRIGGERS_WITH_DAYS = frozenset({Trigger.REWARD_NOT_REDEEMED, Trigger.WIN_BACK})
# What the composer's buttons do (the button's name in the POST).
SEND_NOW, SCHEDULE, SAVE_DRAFT = "_send", "_schedule", "_draft"


def merchant_timezone() -> ZoneInfo:
    """The time zone a merchant schedules in: their first store's (the stores keep the time zone
    quiet hours are counted in), else the platform's."""
    store = Store.objects.filter(is_active=True).order_by("pk").only("timezone").first()
    try:
        return ZoneInfo(store.timezone if store else settings.TIME_ZONE)
    except (KeyError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def _languages_in_order() -> list[str]:
    """The platform's languages, the merchant's default first."""
    default = messaging_settings().default_language
    return [default, *[code for code, _name in LANGUAGES if code != default]]


def _language_label(code: str) -> str:
    return str(dict(LANGUAGES).get(code, code))


def _text_fields(default_language: str) -> dict[str, forms.Field]:
    """Per language: the lock-screen line (with its live counter) and the text on the back."""
    fields: dict[str, forms.Field] = {}
    for code, name in LANGUAGES:
        fields[f"text_{code}"] = forms.CharField(
            label=_("Lock-screen message (%(language)s)") % {"language": name},
            # The default language's line is the one every customer can fall back to.
            required=code == default_language,
            error_messages={
                "required": _(
                    "Write the message in the default language: customers whose "
                    "language it lacks get this one."
                )
            },
            max_length=None,  # the rule (and its message) is the service's: rules.clean_texts
            widget=UnfoldAdminTextInputWidget(
                attrs={
                    "data-counter": TEXT_MAX_LENGTH,
                    "lang": code,
                    "autocomplete": "off",
                    "maxlength": TEXT_MAX_LENGTH + 40,
                }
            ),
            help_text=(
                _("Required: the default language, for customers whose language is missing.")
                if code == default_language
                else _("Optional: customers who use this language get it.")
            ),
        )
        fields[f"detail_{code}"] = forms.CharField(
            label=_("Text on the back of the pass (%(language)s)") % {"language": name},
            required=False,
            widget=UnfoldAdminTextareaWidget(attrs={"rows": 2, "lang": code}),
            help_text=_("Optional, up to %(max)d characters.") % {"max": DETAIL_MAX_LENGTH},
        )
    return fields


def _texts_from(data: dict[str, Any]) -> dict[str, dict[str, str]]:
    texts = {}
    for code, _name in LANGUAGES:
        text, detail = data.get(f"text_{code}") or "", data.get(f"detail_{code}") or ""
        if text.strip() or detail.strip():
            texts[code] = {"text": text, "detail": detail}
    return texts


def _texts_initial(texts: dict[str, Any]) -> dict[str, str]:
    initial = {}
    for code, words in (texts or {}).items():
        initial[f"text_{code}"] = words.get("text", "")
        initial[f"detail_{code}"] = words.get("detail", "")
    return initial


class LocalDateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker; the value is in the merchant's time zone (activated
    around the composer)."""

    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", attrs={"class": " ".join(INPUT_CLASSES)})


class CampaignForm(ServiceForm, forms.ModelForm):
    """The composer. Its saving is a service's (create, update, then schedule when a send button
    was pressed), so the service's refusals land on the fields they are about."""

    send_at = forms.DateTimeField(
        label=_("Send at"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=LocalDateTimeInput(),
    )

    class Meta:
        model = Message
        fields = ["name", "audience", "audience_store", "days", "program"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.user_id: int | None = kwargs.pop("user_id", None)
        super().__init__(*args, **kwargs)
        self.default_language = messaging_settings().default_language
        self.fields.update(_text_fields(self.default_language))
        for name, value in _texts_initial(self.instance.texts).items():
            self.initial.setdefault(name, value)
        zone = timezone.get_current_timezone()
        self.fields["send_at"].help_text = _(
            "For “Schedule”, in the time zone %(zone)s. Quiet hours still apply."
        ) % {"zone": str(zone)}
        if "audience_store" in self.fields:
            self.fields["audience_store"].queryset = Store.objects.filter(is_active=True)
            self.fields["audience_store"].help_text = _("For “a store's customers”.")
        if "days" in self.fields:
            self.fields["days"].help_text = _(
                "For “no visit for N days” and “enrolled in the last N days”."
            )
        if "program" in self.fields:
            self.fields["program"].queryset = LoyaltyProgram.objects.filter(is_active=True)
        self.fields["name"].help_text = _("For you only: customers do not see it.")

    def action(self) -> str:
        for name in (SEND_NOW, SCHEDULE):
            if name in self.data:
                return name
        return SAVE_DRAFT

    def write(self) -> Message:
        data = self.cleaned_data
        action = self.action()
        send_at = data.get("send_at")
        if action == SCHEDULE:
            if send_at is None:
                raise ValidationError({"send_at": _("Choose when to send it.")})
            if send_at <= timezone.now():
                raise ValidationError({"send_at": _("Choose a time in the future.")})
        elif action == SEND_NOW:
            send_at = None
        fields = {
            "name": data.get("name") or "",
            "texts": _texts_from(data),
            "audience": data.get("audience") or Audience.EVERYONE,
            "store": data.get("audience_store"),
            "days": data.get("days"),
            "program": data.get("program"),
            "send_at": send_at,
        }
        if self.instance.pk is None:
            message = create_campaign(**fields, created_by_id=self.user_id)
        else:
            message = update_campaign(message=self.instance, **fields)
        if action in (SEND_NOW, SCHEDULE):
            message = schedule_campaign(message=message, send_at=send_at)
        return message


# The per-language fields are declared (the admin checks its fieldsets against them); which one
# is required depends on the merchant's default language, set per form.
CampaignForm.declared_fields.update(_text_fields(""))
CampaignForm.base_fields.update(_text_fields(""))


def preview_figures(result: Preview) -> dict[str, Any]:
    """The preview as the panel shows it (and the JSON view returns it)."""
    return {
        "targeted": result.targeted,
        "reached": result.reached,
        "apple": result.apple,
        "google": result.google,
        "both": result.both,
        "holdout": result.holdout,
        "waiting": result.waiting,
        "skipped": {str(reason): count for reason, count in result.skipped.items()},
        "skipped_total": sum(result.skipped.values()),
    }


def _preview_args(values: dict[str, Any]) -> dict[str, Any]:
    """Preview arguments from the composer's values (raw strings): what is not understood is
    left out, as the audience would be without it."""

    def number(name: str) -> int | None:
        raw = str(values.get(name) or "").strip()
        return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else None

    audience = str(values.get("audience") or Audience.EVERYONE)
    if audience not in Audience.values:
        audience = Audience.EVERYONE
    send_at = None
    raw_at = str(values.get("send_at") or "").strip()
    if raw_at:
        try:
            moment = dt.datetime.fromisoformat(raw_at)
        except ValueError:
            moment = None
        if moment is not None:
            send_at = timezone.make_aware(moment) if timezone.is_naive(moment) else moment
    return {
        "audience": audience,
        "store_id": number("audience_store") if audience in AUDIENCES_WITH_STORE else None,
        "days": number("days") if audience in AUDIENCES_WITH_DAYS else None,
        "program_id": number("program"),
        "send_at": send_at,
    }


def report_context(result: Report) -> dict[str, Any]:
    """The report as the page (and the automations' page) shows it."""
    skip_labels = dict(SkipReason.choices)

    def percent(rate: float | None) -> float | None:
        return None if rate is None else rate * 100

    return {
        "report": result,
        "skipped": [
            (str(skip_labels.get(reason, reason)), count)
            for reason, count in result.skipped.items()
        ],
        "skipped_total": sum(result.skipped.values()),
        "return_rate": percent(result.return_rate),
        "holdout_rate": percent(result.holdout_return_rate),
        "lift": result.lift,
        "return_days": rules.RETURN_WINDOW.days,
        "holdout_percent": rules.HOLDOUT_PERCENT,
    }


class SentFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return MessageStatus.choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Message]) -> QuerySet[Message]:
        return queryset.filter(status=self.value()) if self.value() else queryset


@admin.register(Message, site=backoffice_site)
class CampaignAdmin(ModelAdmin):
    """Campaigns (messages of kind "campaign"); the automations and the settings are pages of
    their own beside the list (``automations/``, ``settings/``)."""

    form = CampaignForm
    list_display = ["name", "audience_display", "status", "send_time", "sent_display", "came_back"]
    list_filter = [SentFilter]
    search_fields = ["name"]
    # Each row's report is two queries (its deliveries, their visits); a merchant's campaigns
    # come by the month, so a page of them stays cheap.
    list_per_page = 25
    change_form_template = "admin/messaging/message/change_form.html"
    change_list_template = "admin/messaging/message/change_list.html"
    # The store and the days only where the audience needs them (unfold's Alpine conditions).
    conditional_fields = {
        "audience_store": " || ".join(
            f"audience == '{value}'" for value in sorted(AUDIENCES_WITH_STORE)
        ),
        "days": " || ".join(f"audience == '{value}'" for value in sorted(AUDIENCES_WITH_DAYS)),
    }

    def get_queryset(self, request: HttpRequest) -> QuerySet[Message]:
        return (
            super()
            .get_queryset(request)
            .filter(kind=MessageKind.CAMPAIGN)
            .select_related("audience_store")
        )

    def get_form(self, request: HttpRequest, obj: Message | None = None, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, **kwargs)
        user_id = request.user.pk

        class BoundCampaignForm(form_class):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **inner: Any) -> None:
                super().__init__(*args, user_id=user_id, **inner)

        return BoundCampaignForm

    def get_fieldsets(self, request: HttpRequest, obj: Message | None = None) -> Any:
        default = messaging_settings().default_language
        ordered = _languages_in_order()
        fieldsets: list[Any] = [(None, {"fields": ["name"]})]
        for code in ordered:
            title = _language_label(code)
            if code == default:
                title = _("%(language)s (default language)") % {"language": title}
            fieldsets.append(
                (title, {"fields": [f"text_{code}", f"detail_{code}"], "classes": ["msg-language"]})
            )
        fieldsets.append(
            (_("Audience"), {"fields": ["audience", "audience_store", "days", "program"]})
        )
        fieldsets.append((_("When"), {"fields": ["send_at"]}))
        return fieldsets

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A draft may go; a campaign that was sent keeps its deliveries (the budget, the report).
        if obj is not None and obj.status != MessageStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # No bulk deletion: it would not ask each campaign whether it was sent (a draft is
        # deleted from its own page).
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # --- The list

    @admin.display(description=_("audience"), ordering="audience")
    def audience_display(self, obj: Message) -> str:
        label = obj.get_audience_display()
        if obj.audience in AUDIENCES_WITH_STORE and obj.audience_store:
            return f"{label}: {obj.audience_store.name}"
        if obj.audience in AUDIENCES_WITH_DAYS and obj.days:
            return f"{label} (N = {obj.days})"
        return str(label)

    @admin.display(description=_("send time"), ordering="send_at")
    def send_time(self, obj: Message) -> str:
        moment = obj.started_at or obj.send_at
        if moment is None:
            return self.get_empty_value_display()
        local = moment.astimezone(merchant_timezone())
        return local.strftime("%Y-%m-%d %H:%M")

    def _report(self, obj: Message) -> Report | None:
        if obj.status in EDITABLE:
            return None
        if not hasattr(obj, "_report"):
            obj._report = report(obj)  # type: ignore[attr-defined]
        return obj._report  # type: ignore[attr-defined]

    @admin.display(description=_("sent / targeted"))
    def sent_display(self, obj: Message) -> str:
        result = self._report(obj)
        if result is None:
            return self.get_empty_value_display()
        return f"{result.sent} / {result.targeted}"

    @admin.display(description=_("came back vs holdout"))
    def came_back(self, obj: Message) -> str:
        result = self._report(obj)
        if result is None or not (result.sent or result.holdout):
            return self.get_empty_value_display()

        def rate(value: float | None) -> str:
            return "\u2013" if value is None else f"{value * 100:.0f} %"

        return f"{rate(result.return_rate)} vs {rate(result.holdout_return_rate)}"

    # --- Pages

    def get_urls(self) -> list[URLPattern]:
        opts = self.opts
        prefix = f"{opts.app_label}_{opts.model_name}"
        view = self.admin_site.admin_view
        pages = [
            path("preview/", view(self.preview_view), name=f"{prefix}_preview"),
            path("automations/", view(self.automations_view), name=f"{prefix}_automations"),
            path("settings/", view(self.settings_view), name=f"{prefix}_settings"),
            path(
                "<path:object_id>/cancel/",
                view(require_POST(self.cancel_view)),
                name=f"{prefix}_cancel",
            ),
        ]
        # Before the default URLs: their "<path:object_id>/" would swallow these.
        return [*pages, *super().get_urls()]

    def _require_change(self, request: HttpRequest) -> None:
        if not self.has_change_permission(request):
            raise PermissionDenied

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if object_id is not None:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and obj.status not in EDITABLE:
                return self.report_view(request, obj)
        # Scheduling is in the merchant's time zone: shown, typed and parsed in it.
        with timezone.override(merchant_timezone()):
            return super().changeform_view(request, object_id, form_url, extra_context)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Message | None = None,
    ) -> HttpResponse:
        form = context["adminform"].form
        values = {
            name: (form[name].value() if name in form.fields else None)
            for name in ("audience", "audience_store", "days", "program")
        }
        at = form["send_at"].value()
        values["send_at"] = at.isoformat() if isinstance(at, dt.datetime) else at
        context.update(
            {
                "title": _("Compose a campaign")
                if add
                else _("Campaign: %(name)s") % {"name": obj},
                "preview": preview_figures(preview(**_preview_args(values))),
                "preview_url": reverse(f"{self.admin_site.name}:messaging_message_preview"),
                "skip_labels": SkipReason.choices[:3],
                "holdout_percent": rules.HOLDOUT_PERCENT,
                "text_max": TEXT_MAX_LENGTH,
                "campaign": obj,
                "can_cancel": obj is not None and obj.status in CANCELLABLE,
                "cancel_url": (
                    reverse(f"{self.admin_site.name}:messaging_message_cancel", args=[obj.pk])
                    if obj is not None
                    else ""
                ),
                "audiences_with_store": sorted(AUDIENCES_WITH_STORE),
                "audiences_with_days": sorted(AUDIENCES_WITH_DAYS),
                "messages_nav": _nav(self, "campaigns"),
            }
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request: HttpRequest, obj: Message, form: BaseForm, change: bool) -> None:
        # The form's validation already wrote the campaign through the services (CampaignForm).
        adopt(obj, form.saved)  # type: ignore[attr-defined]

    def _after_save(self, request: HttpRequest, obj: Message) -> HttpResponse:
        if obj.status == MessageStatus.DRAFT:
            text = gettext("The campaign “%(name)s” is saved as a draft.")
        elif obj.send_at and obj.send_at > timezone.now() + dt.timedelta(seconds=30):
            local = obj.send_at.astimezone(merchant_timezone()).strftime("%Y-%m-%d %H:%M")
            text = gettext("The campaign “%(name)s” will be sent at %(time)s.").replace(
                "%(time)s", local
            )
        else:
            text = gettext("The campaign “%(name)s” is being sent.")
        self.message_user(request, text % {"name": obj.name}, messages.SUCCESS)
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:messaging_message_change", args=[obj.pk])
        )

    def response_add(
        self, request: HttpRequest, obj: Message, post_url_continue: Any = None
    ) -> Any:
        return self._after_save(request, obj)

    def response_change(self, request: HttpRequest, obj: Message) -> Any:
        return self._after_save(request, obj)

    def report_view(self, request: HttpRequest, obj: Message) -> HttpResponse:
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        return render_admin_page(
            self,
            request,
            "admin/messaging/message/report.html",
            title=_("Campaign: %(name)s") % {"name": obj.name},
            campaign=obj,
            texts=[
                (_language_label(code), obj.texts[code])
                for code in _languages_in_order()
                if code in obj.texts
            ],
            audience=self.audience_display(obj),
            send_time=self.send_time(obj),
            can_cancel=obj.status in CANCELLABLE and self.has_change_permission(request, obj),
            cancel_url=reverse(f"{self.admin_site.name}:messaging_message_cancel", args=[obj.pk]),
            messages_nav=_nav(self, "campaigns"),
            **report_context(report(obj)),
        )

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise PermissionDenied
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        try:
            cancel_campaign(message=obj)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("The campaign “%(name)s” is cancelled: nothing more will be sent.")
                % {"name": obj.name},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:messaging_message_change", args=[obj.pk])
        )

    def preview_view(self, request: HttpRequest) -> JsonResponse:
        """What the composer's audience would reach, for its live panel (staff only, read)."""
        self._require_change(request)
        with timezone.override(merchant_timezone()):
            args = _preview_args(request.GET)
        return JsonResponse(preview_figures(preview(**args)))

    def automations_view(self, request: HttpRequest) -> HttpResponse:
        self._require_change(request)
        existing = {
            message.trigger: message
            for message in Message.objects.filter(kind=MessageKind.AUTOMATION)
        }
        posted = request.POST.get("trigger") if request.method == "POST" else None
        rows = []
        for trigger in Trigger:
            message = existing.get(trigger.value)
            bound = request.POST if posted == trigger.value else None
            form = AutomationForm(bound, trigger=trigger, message=message)
            if bound is not None and form.is_valid():
                try:
                    saved = form.save()
                except ValidationError as error:
                    show_service_error(form, error)
                else:
                    if saved is None:
                        self.message_user(
                            request, gettext("Nothing to save: it has no text yet."), messages.INFO
                        )
                    else:
                        state = gettext("on") if saved.enabled else gettext("off")
                        self.message_user(
                            request,
                            gettext("“%(name)s” is saved (%(state)s).")
                            % {"name": trigger.label, "state": state},
                            messages.SUCCESS,
                        )
                    url = reverse(f"{self.admin_site.name}:messaging_message_automations")
                    return HttpResponseRedirect(f"{url}#automation-{trigger.value}")
            rows.append(
                {
                    "trigger": trigger,
                    "message": message,
                    "form": form,
                    "languages": [
                        (code, name, form[f"text_{code}"], form[f"detail_{code}"])
                        for code, name in LANGUAGES
                    ],
                    "report": report_context(report(message)) if message is not None else None,
                    "is_service": not Message(
                        kind=MessageKind.AUTOMATION, trigger=trigger.value
                    ).is_marketing,
                }
            )
        return render_admin_page(
            self,
            request,
            "admin/messaging/message/automations.html",
            title=_("Automations"),
            rows=rows,
            text_max=TEXT_MAX_LENGTH,
            default_language=_language_label(messaging_settings().default_language),
            messages_nav=_nav(self, "automations"),
        )

    def settings_view(self, request: HttpRequest) -> HttpResponse:
        self._require_change(request)
        current = messaging_settings()
        form = MessagingSettingsForm(
            request.POST if request.method == "POST" else None, instance=current
        )
        if request.method == "POST" and form.is_valid():
            try:
                update_messaging_settings(
                    default_language=form.cleaned_data["default_language"],
                    weekly_cap=form.cleaned_data["weekly_cap"],
                    quiet_start=form.cleaned_data["quiet_start"],
                    quiet_end=form.cleaned_data["quiet_end"],
                )
            except ValidationError as error:
                show_service_error(form, error)
            else:
                self.message_user(
                    request, gettext("The message settings are saved."), messages.SUCCESS
                )
                return HttpResponseRedirect(
                    reverse(f"{self.admin_site.name}:messaging_message_settings")
                )
        return render_admin_page(
            self,
            request,
            "admin/messaging/message/settings.html",
            title=_("Message settings"),
            form=form,
            messages_nav=_nav(self, "settings"),
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> Any:
        extra_context = {
            **(extra_context or {}),
            "title": _("Campaigns"),
            "messages_nav": _nav(self, "campaigns"),
        }
        return super().changelist_view(request, extra_context)


def _nav(model_admin: ModelAdmin, current: str) -> list[dict[str, Any]]:
    """The tabs above the message pages: campaigns, automations, settings."""
    site = model_admin.admin_site.name
    return [
        {
            "label": label,
            "url": reverse(f"{site}:messaging_message_{page}"),
            "current": key == current,
        }
        for key, label, page in (
            ("campaigns", _("Campaigns"), "changelist"),
            ("automations", _("Automations"), "automations"),
            ("settings", _("Settings"), "settings"),
        )
    ]


class AutomationForm(forms.Form):
    """One automation: on or off, its words per language, its N days where it has one."""

    trigger = forms.CharField(widget=forms.HiddenInput)
    enabled = forms.BooleanField(label=_("On"), required=False, widget=UnfoldBooleanSwitchWidget)

    def __init__(self, data: Any = None, *, trigger: Trigger, message: Message | None) -> None:
        self.trigger = trigger
        self.message = message
        initial: dict[str, Any] = {"trigger": trigger.value}
        if message is not None:
            initial.update(_texts_initial(message.texts))
            initial["enabled"] = message.enabled
            initial["days"] = message.days
        super().__init__(data, initial=initial, prefix=trigger.value)
        default = messaging_settings().default_language
        self.fields.update(_text_fields(default))
        # Switching an automation off needs no words: the service keeps the ones it had.
        self.fields[f"text_{default}"].required = False
        if trigger in TRIGGERS_WITH_DAYS:
            self.fields["days"] = forms.IntegerField(
                label=_("After how many days"),
                min_value=1,
                max_value=3650,
                required=False,
                widget=UnfoldAdminIntegerFieldWidget,
            )

    @property
    def has_days(self) -> bool:
        return "days" in self.fields

    def save(self) -> Message | None:
        data = self.cleaned_data
        texts = _texts_from(data)
        if not texts:
            if self.message is None and not data["enabled"]:
                return None
            if not data["enabled"] and self.message is not None:
                texts = self.message.texts or {}
        days = data.get("days")
        if self.has_days and data["enabled"] and not days:
            raise ValidationError({"days": _("Say after how many days.")})
        return set_automation(
            trigger=self.trigger.value, enabled=data["enabled"], texts=texts, days=days
        )


class MessagingSettingsForm(forms.ModelForm):
    class Meta:
        model = MessagingSettings
        fields = ["default_language", "weekly_cap", "quiet_start", "quiet_end"]
        widgets = {
            "default_language": UnfoldAdminSelectWidget,
            "weekly_cap": UnfoldAdminIntegerFieldWidget,
            "quiet_start": UnfoldAdminSingleTimeWidget(format="%H:%M"),
            "quiet_end": UnfoldAdminSingleTimeWidget(format="%H:%M"),
        }
        help_texts = {
            "quiet_start": _(
                "In each store's time zone: messages due in the quiet hours wait until they end."
            ),
            "quiet_end": _("The same time as “from” means no quiet hours."),
        }
