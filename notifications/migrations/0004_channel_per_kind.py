"""A channel per kind of notification (in the app, by e-mail, or in a daily digest) instead of one
switch for everything that is not a breach; the switch turned off becomes "only in the app" for
every kind but the breach. Reversible: "only in the app" for every such kind switches it off again."""

from django.conf import settings
from django.db import migrations, models

# The kinds there were when the switch was replaced (the breach is always e-mailed at once).
NON_BREACH_KINDS = (
    "task_available", "ect_advice_reviewed", "vrijstelling_advised", "placement_decided", "registration_changed",
    "consent_changed", "signal_forwarded", "deadline_warning", "offer_failed", "doorbraak_stalled",
    "stagnatie_escalated", "exemption_ended", "leerplicht_ended", "case_closed", "agenda_published",
    "meeting_item_added", "mentioned", "task_assigned", "task_released", "follow_up_due",
)


def switch_to_channels(apps, schema_editor):
    Preference = apps.get_model("notifications", "Preference")
    KindPreference = apps.get_model("notifications", "KindPreference")
    users = Preference.objects.filter(email_non_breach=False).values_list("user_id", flat=True)
    KindPreference.objects.bulk_create(
        [KindPreference(user_id=user_id, kind=kind, channel="app") for user_id in users for kind in NON_BREACH_KINDS],
        ignore_conflicts=True)


def channels_to_switch(apps, schema_editor):
    Preference = apps.get_model("notifications", "Preference")
    KindPreference = apps.get_model("notifications", "KindPreference")
    in_app_only = (KindPreference.objects.filter(kind__in=NON_BREACH_KINDS, channel="app").values("user_id")
                   .annotate(n=models.Count("pk")).filter(n=len(NON_BREACH_KINDS)).values_list("user_id", flat=True))
    for user_id in in_app_only:
        Preference.objects.update_or_create(user_id=user_id, defaults={"email_non_breach": False})


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0003_outbox_attempts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="KindPreference",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(max_length=30, verbose_name="kind")),
                ("channel", models.CharField(choices=[
                    ("app", "Only in casework"),
                    ("email", "In casework, and by e-mail when still unread after a while"),
                    ("digest", "In casework, and in one e-mail a day (daily digest)")],
                    default="email", max_length=10, verbose_name="channel")),
                ("user", models.ForeignKey(on_delete=models.deletion.CASCADE, related_name="notification_channels",
                                           to=settings.AUTH_USER_MODEL)),
            ],
            options={"verbose_name": "notification channel", "verbose_name_plural": "notification channels"},
        ),
        migrations.AddConstraint(
            model_name="kindpreference",
            constraint=models.UniqueConstraint(fields=("user", "kind"), name="notification_channel_once_per_kind"),
        ),
        migrations.AddField(
            model_name="preference",
            name="last_digest_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="last digest sent at"),
        ),
        migrations.RunPython(switch_to_channels, channels_to_switch),
        migrations.RemoveField(model_name="preference", name="email_non_breach"),
    ]
