from django.db import models


class BaselineRow(models.Model):
    """What the minimal baseline view writes: one row, no rules."""

    text = models.CharField(max_length=100)
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.text


class BaselineSignal(models.Model):
    """What the validating intake baseline writes: a signal's fields in one row (the child's names
    and birth date, the school, the dates and choices), no rules beyond the fields' own."""

    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    school = models.ForeignKey("teams.School", on_delete=models.PROTECT)
    sector = models.CharField(max_length=3, choices=[("po", "po"), ("vo", "vo"), ("mbo", "mbo")])
    registration = models.CharField(max_length=10, choices=[("lrv", "lrv"), ("av", "av"), ("vrij", "vrij")])
    category = models.CharField(max_length=25)
    absent_since = models.DateField()
    signaller_role = models.CharField(max_length=12)
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.pk}"
