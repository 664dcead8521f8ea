"""The monitor's derived rows, kept in the transaction that writes the events (written only by
`casework.monitor.derived`, which says what each row means):

- `MonitorTally`: the daily rollup, as append-only deltas that the sweeper compacts;
- the milestone columns on the case (`first_reviewed_at`, `escalated_at`, `offer_started_at`);
- `MonitorSpell`: each case's state intervals.
"""

from django.contrib.postgres.indexes import GistIndex
from django.db import models
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _

from .cases import Case
from .pg_indexes import PostgresOnlyIndex


class MonitorTally(models.Model):
    """One delta of the monitor's daily rollup (see `casework.monitor.derived`)."""

    day = models.DateField(_("day"))
    region_id = models.IntegerField(_("region"))
    sector = models.CharField(_("sector"), max_length=3)
    school_id = models.IntegerField(_("school"), null=True, blank=True)
    measure = models.CharField(_("measure"), max_length=60)
    case_ref = models.IntegerField(_("case"), null=True, blank=True,
                                   help_text=_("Only for measures that count distinct cases over a period."))
    n = models.IntegerField(_("count"))
    # False for a delta as written; the sweeper's compaction writes one compacted row per key.
    compacted = models.BooleanField(_("compacted"), default=False)

    class Meta:
        verbose_name = _("monitor tally")
        verbose_name_plural = _("monitor tallies")
        indexes = [
            # The monitor reads a period's rows of its regions; the sweeper groups by the key.
            models.Index(fields=["day", "region_id", "measure"], name="monitortally_day"),
            models.Index(fields=["id"], name="monitortally_fresh", condition=Q(compacted=False)),
        ]

    def __str__(self):
        return f"{self.day} {self.measure} {self.n:+d}"


class PostgresGistIndex(PostgresOnlyIndex, GistIndex):
    """A GiST index on PostgreSQL and nothing elsewhere (SQLite has no GiST nor `daterange`): the
    spells' date range that migration 0027 indexed, until 0028 replaced it by the btree below."""


class PostgresIndex(PostgresOnlyIndex, models.Index):
    """A btree index on PostgreSQL and nothing elsewhere (for an expression SQLite cannot index)."""


def spell_until():
    """The first day after a spell, infinity for an open-ended one (PostgreSQL's `'infinity'::date`):
    the key of the btree `monitorspell_until`, and of the peildatum's `until > day` filter that
    uses it (the two must be the same expression)."""
    return Func(F("valid_to"), template="COALESCE(%(expressions)s, 'infinity'::date)", output_field=models.DateField())


# Every column the peildatum count reads besides the key: in the index, so that PostgreSQL counts
# the day's spells from the index alone (an Index Only Scan; the table is not read once vacuumed).
SPELL_COUNT_COLUMNS = ("valid_to", "valid_from", "region_id", "sector", "school_id", "registration", "level",
                       "setting", "category", "absent_since", "birth_date", "startkwalificatie_on",
                       "exemption_ground", "without_offer", "is_open")


class MonitorSpell(models.Model):
    """One spell of a case's state as the monitor counts it on a peildatum: from `valid_from` up
    to (not including) `valid_to` (open-ended when null) the case had these values. Written only
    by `casework.monitor.derived` (through `casework.monitor.spells`) from the case's dated facts, in
    the transaction that records them; `casework.monitor.counts.counts_on` reads nothing else.

    A case has spells for the days it is open (from the day of its signal up to the day it
    closes) and for the days an exemption runs (open or closed). Region, sector and school are
    where the pupil was enrolled on those days (for an absoluut verzuimer: no school, the case's
    region)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", db_index=False)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    is_open = models.BooleanField()
    registration = models.CharField(max_length=10)
    level = models.CharField(max_length=12)
    setting = models.CharField(max_length=20, blank=True)
    region_id = models.IntegerField()
    sector = models.CharField(max_length=3)
    school_id = models.IntegerField(null=True, blank=True)
    category = models.CharField(max_length=30)
    absent_since = models.DateField()
    birth_date = models.DateField()
    startkwalificatie_on = models.DateField(null=True, blank=True)
    exemption_ground = models.CharField(max_length=4, blank=True)
    without_offer = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("monitor spell")
        verbose_name_plural = _("monitor spells")
        indexes = [
            models.Index(fields=["case", "valid_from"], name="monitorspell_case"),
            models.Index(fields=["valid_from", "region_id"], name="monitorspell_from"),
            # The peildatum count on PostgreSQL: the spells that hold on a day are among those
            # ending after it (`until > day`: for today, the open-ended ones and the few that end
            # later), read in key order from this index alone (every column the count reads is
            # included), the closed history before the day never touched.
            PostgresIndex(spell_until(), name="monitorspell_until", include=SPELL_COUNT_COLUMNS),
        ]

    def __str__(self):
        return f"{self.case_id} {self.valid_from}..{self.valid_to or ''} {self.registration}"
