"""The answers to POST requests sent with an `Idempotency-Key` (casework.api.idempotency).

One row per client and key: the first request inserts it (the unique constraint lets one request
with a key run at a time), the answer is stored on it, and a retry with the same key and the same
request gets that stored answer back instead of doing the work again. Rows expire after
`IdempotentRequest.LIFETIME` and are purged by the daily retention run."""

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotentRequest(models.Model):
    LIFETIME = dt.timedelta(hours=24)

    client = models.CharField(max_length=64, help_text=_("A digest of the credential the request was sent with."))
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64, help_text=_("A digest of the request's body."))
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    # Empty while the first request runs.
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.BinaryField(default=b"", blank=True)
    # The reads of cases the first request logged (casework.access.reads_since): a stored answer
    # handed back shows those cases again, so the access log gets them again.
    reads = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="idempotent_request_client_key")]
        verbose_name = _("idempotent request")
        verbose_name_plural = _("idempotent requests")

    def __str__(self):
        return f"{self.method} {self.path} ({self.status or '...'})"
