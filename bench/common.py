"""What the benchmark modules share."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def p95(values):
    values = sorted(values)
    return values[max(0, int(round(0.95 * len(values))) - 1)]


def demo_users():
    from teams.models import User  # after django_setup(): the benchmark chooses its database first

    return {u.username: u for u in User.objects.all()}
