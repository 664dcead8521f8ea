"""Pseudonymise and strip closed cases whose retention periods have passed (casework.services.retention)."""

from django.core.management.base import BaseCommand

from casework.services.retention import apply_retention
from chain.services import expire_unmatched


class Command(BaseCommand):
    help = "Apply the retention periods to closed cases (idempotent). --dry-run only lists what is due."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List what is due; change nothing.")

    def handle(self, *args, **options):
        actions = apply_retention(dry_run=options["dry_run"])
        if not options["dry_run"]:
            expired = expire_unmatched()
            self.stdout.write(f"{expired} unmatched report(s) and unenrolment(s) of the chain deleted.")
        verb = "due" if options["dry_run"] else "done"
        for action in actions:
            self.stdout.write(f"case {action.case_id}: {action.action} ({action.rule}) {verb}")
        self.stdout.write(f"{len(actions)} retention action(s) {verb}.")
