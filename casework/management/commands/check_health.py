"""The state of what runs in the background, for monitoring: the notification outbox (pending,
retrying, failed, stuck), notifications not pushed, and whether the cache's Redis answers. Exits
non-zero when something needs a person (docs/operations.md#health)."""

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError

from notifications.delivery import STUCK_SECONDS, health


class Command(BaseCommand):
    help = ("Print the notification outbox's counts and whether Redis answers; exit 1 when outbox entries "
            "failed or are stuck, notifications were not pushed, or the cache's Redis is unreachable.")

    def handle(self, *args, **options):
        outbox = health()
        minutes = STUCK_SECONDS // 60
        self.stdout.write(f"outbox: {outbox.pending} pending ({outbox.retrying} retrying), {outbox.failed} failed, "
                          f"{outbox.stuck} stuck")
        self.stdout.write(f"notifications: {outbox.unpushed} not pushed after {minutes} minutes")
        reachable = getattr(cache, "reachable", None)  # casework.cache.ForgivingRedisCache
        cache_ok = reachable() if reachable else True
        self.stdout.write(f"cache: {'reachable' if cache_ok else 'unreachable'}" if reachable
                          else "cache: local (no Redis)")
        problems = [text for count, text in (
            (outbox.failed, "outbox entries failed"),
            (outbox.stuck, "outbox entries stuck"),
            (outbox.unpushed, "notifications not pushed"),
            (0 if cache_ok else 1, "the cache's Redis is unreachable"),
        ) if count]
        if problems:
            raise CommandError("unhealthy: " + "; ".join(problems))
        self.stdout.write("healthy")
