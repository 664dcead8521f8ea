"""Existing cases get the history the counting rules read (docs/counting.md): a dated registration at
intake and every later change in the {from, to, since, reason, trigger} shape; granted exemptions
get their start date and their end clock; open cases get the clock of the end of compulsory
education. Taking part is `geen` for every existing case (the field's default)."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations

TZ = ZoneInfo(settings.TIME_ZONE)
EXEMPTION_WARN_DAYS = 42


def local_date(moment) -> dt.date:
    return moment.astimezone(TZ).date()


def start_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=TZ)


def eighteenth_birthday(birth: dt.date) -> dt.date:
    try:
        return birth.replace(year=birth.year + 18)
    except ValueError:
        return birth.replace(year=birth.year + 18, day=28)


def forward(apps, schema_editor):
    Case = apps.get_model("casework", "Case")
    CaseEvent = apps.get_model("casework", "CaseEvent")
    Deadline = apps.get_model("casework", "Deadline")
    Vrijstelling = apps.get_model("casework", "Vrijstelling")

    for case in Case.objects.select_related("child").iterator():
        events = list(CaseEvent.objects.filter(case=case, kind__in=["signalled", "registration_changed"])
                      .order_by("at", "pk"))
        if not any(e.kind == "registration_changed" and e.data.get("trigger") == "signalled" for e in events):
            signalled = next((e for e in events if e.kind == "signalled"), None)
            at = signalled.at if signalled else case.signalled_at
            initial = (signalled.data.get("registration") if signalled else None) or case.registration
            since = local_date(at) if initial == "vrij" else case.absent_since
            CaseEvent.objects.create(case=case, actor=None, kind="registration_changed", at=at, data={
                "from": None, "to": initial, "since": since.isoformat(), "reason": "", "trigger": "signalled"})
        for event in events:
            if event.kind == "registration_changed" and "to" not in event.data:
                event.data = {"from": event.data.get("previous"), "to": event.data.get("registration"),
                              "since": local_date(event.at).isoformat(), "reason": "",
                              "trigger": event.data.get("trigger", "")}
                event.save(update_fields=["data"])
        if case.status != "closed" and not Deadline.objects.filter(case=case, kind="leerplicht_end").exists():
            Deadline.objects.create(case=case, kind="leerplicht_end", sequence=1,
                                    due_at=start_of_day(eighteenth_birthday(case.child.birth_date)))

    for exemption in Vrijstelling.objects.filter(granted=True):
        if exemption.starts_on is None and exemption.decided_at is not None:
            exemption.starts_on = local_date(exemption.decided_at)
            exemption.save(update_fields=["starts_on"])
        if exemption.until and not Deadline.objects.filter(vrijstelling=exemption, kind="exemption_end").exists():
            last = Deadline.objects.filter(case_id=exemption.case_id, kind="exemption_end").order_by("-sequence").first()
            due = start_of_day(exemption.until + dt.timedelta(days=1))
            Deadline.objects.create(case_id=exemption.case_id, kind="exemption_end", vrijstelling=exemption,
                                    sequence=(last.sequence + 1) if last else 1, due_at=due,
                                    warn_at=due - dt.timedelta(days=EXEMPTION_WARN_DAYS))


def backward(apps, schema_editor):
    CaseEvent = apps.get_model("casework", "CaseEvent")
    Deadline = apps.get_model("casework", "Deadline")
    CaseEvent.objects.filter(kind="registration_changed", data__trigger="signalled").delete()
    for event in CaseEvent.objects.filter(kind="registration_changed"):
        event.data = {"previous": event.data.get("from"), "registration": event.data.get("to"),
                      "trigger": event.data.get("trigger", "")}
        event.save(update_fields=["data"])
    Deadline.objects.filter(kind__in=["leerplicht_end", "exemption_end"]).delete()


class Migration(migrations.Migration):
    dependencies = [("casework", "0012_pact_counting_rules")]

    operations = [migrations.RunPython(forward, backward)]
