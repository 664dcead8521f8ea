"""Append-only logs: who read which case (`AccessLog`), and the base of every log that may only
grow (no update or delete path)."""

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .cases import Case


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove a row of an append-only log."""


class AppendOnlyQuerySet(models.QuerySet):
    """A queryset with no path to change or remove rows (insert only)."""

    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} is append-only")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} is append-only")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError(f"{self.model.__name__} is append-only")

    def update_or_create(self, *args, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} is append-only")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} is append-only")


# The sign-in events (signin.events): rows that name no case, only the user and their regions.
SIGNIN_ACTIONS = ("login", "login_failed", "logout", "sso_login", "sso_refused", "factor_verified",
                  "factor_enrolled", "factor_reset", "reauth")


class AccessLog(AppendOnlyModel):
    """Who read which case (or which public signal, before it is a case), when, how and from
    where. Append-only: no update or delete path.

    A list or search that shows several children (the inbox, search results, an agenda, an API
    list) is one row per request (`LIST_VIEW`) naming the cases shown in `shown_cases` and their
    regions in `shown_regions`, both as ",5,17," so that one case or region is found with a
    plain `contains` on every database."""

    class Action(models.TextChoices):
        VIEW = "view", _("viewed")
        API_VIEW = "api_view", _("viewed through the API")
        SIGNAL = "signal", _("signalled")
        MENTOR_VIEW = "mentor_view", _("viewed as JIM mentor")
        LINK_VIEW = "link_view", _("viewed through a personal link")
        DOWNLOAD = "download", _("downloaded a document")
        SIGNAL_VIEW = "signal_view", _("viewed a signal to verify")
        # A signal for a child whose open case the signaller does not work on: the signaller told the
        # case team about the child (a disclosure to the team); they did not see the case.
        SIGNAL_FORWARDED = "signal_forwarded", _("signalled; forwarded to the case team without access")
        LIST_VIEW = "list_view", _("shown in a list")
        # Signing in and out (signin.events.log_signin): no case, the user's regions in shown_regions.
        LOGIN = "login", _("signed in (password)")
        LOGIN_FAILED = "login_failed", _("sign-in failed")
        LOGOUT = "logout", _("signed out")
        SSO_LOGIN = "sso_login", _("signed in through the organisation")
        SSO_REFUSED = "sso_refused", _("sign-in through the organisation refused")
        FACTOR_VERIFIED = "factor_verified", _("second factor passed")
        FACTOR_ENROLLED = "factor_enrolled", _("second factor enrolled")
        FACTOR_RESET = "factor_reset", _("second factor reset")
        REAUTH = "reauth", _("re-authenticated before an export or change")

    class List(models.TextChoices):
        """Which list showed the cases of a LIST_VIEW row."""

        INBOX = "inbox", _("task inbox")
        SEARCH = "search", _("search results")
        CASES = "cases", _("case list")
        TASKS = "tasks", _("task list")
        CLOCKS = "clocks", _("clocks overview")
        AGENDA = "agenda", _("meeting agenda")
        AGENDA_PRINT = "agenda_print", _("printed agenda")
        MEETING_ITEM = "meeting_item", _("meeting item")
        NOTIFICATIONS = "notifications", _("notifications")
        RECONCILIATION = "reconciliation", _("reconciliation of the chain's reports")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", verbose_name=_("user"))
    access_link = models.ForeignKey("AccessLink", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("personal link"), help_text=_("For views through a personal link."))
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("case"))
    public_signal = models.ForeignKey("PublicSignal", on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name=_("public signal"),
                                      help_text=_("For reads of a signal from a parent or young person before "
                                                  "it is a case."))
    at = models.DateTimeField(_("at"), default=timezone.now, editable=False)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    path = models.CharField(_("path"), max_length=500, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    shown_cases = models.TextField(_("cases shown"), blank=True, default="")
    shown_regions = models.CharField(_("regions of the cases shown"), max_length=200, blank=True, default="")
    what = models.CharField(_("list"), max_length=20, blank=True, default="", choices=List.choices)
    detail = models.CharField(_("detail"), max_length=200, blank=True, default="",
                              help_text=_("For sign-in events: the factor used, or what was refused."))

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        indexes = [
            models.Index(fields=["case", "at"], name="accesslog_case_at"),
            models.Index(fields=["user", "at"], name="accesslog_user_at"),
        ]
        constraints = [models.CheckConstraint(
            name="accesslog_case_or_signal",
            condition=Q(case__isnull=False) | Q(public_signal__isnull=False) | ~Q(shown_cases="")
            | Q(action__in=SIGNIN_ACTIONS))]
        # Defence in depth: the database itself refuses to change or remove a row. On PostgreSQL
        # a row trigger for UPDATE and DELETE (TRUNCATE, used only by test tear-down, is a statement
        # of its own and unaffected); on SQLite, where django-pgtrigger installs nothing, migration
        # 0003's UPDATE trigger (a DELETE trigger would block the test runner's flush; the model and
        # queryset guards carry it there).
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self):
        return f"{self.user_id} {self.action} {self.case_id} @ {self.at:%Y-%m-%d %H:%M}"

    @staticmethod
    def id_list(ids) -> str:
        """",5,17," for [5, 17] (empty for none)."""
        ids = sorted({int(i) for i in ids})
        return f",{','.join(map(str, ids))}," if ids else ""

    @property
    def shown_case_ids(self) -> list[int]:
        return [int(part) for part in self.shown_cases.strip(",").split(",") if part]
