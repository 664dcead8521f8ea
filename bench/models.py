from django.db import models


class BaselineRow(models.Model):
    """What the minimal baseline view writes: one row, no rules."""

    text = models.CharField(max_length=100)
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.text
