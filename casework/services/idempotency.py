"""The store behind the API's `Idempotency-Key` (casework.api.idempotency holds the HTTP side).

- `claim` inserts the row for a client's key before the request runs: the unique constraint on
  (client, key) lets exactly one request with that key run; a second one finds the row.
- `finish` stores the answer on the row; `release` drops the row when there is nothing to keep (a
  server error, a refused credential), so the key can be tried again.
- `purge_expired` deletes the rows past their 24 hours (the daily retention run calls it).
"""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from casework.models import IdempotentRequest

# A request still running after this long is taken to have died; its key may be used again.
ABANDONED_AFTER = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Claim:
    row: IdempotentRequest
    new: bool  # True: this request inserted the row and runs; False: the row of an earlier request


def claim(*, client: str, key: str, method: str, path: str, fingerprint: str, now=None) -> Claim:
    now = now or timezone.now()
    # An expired row, or one whose request never finished (its worker died), no longer holds the key.
    IdempotentRequest.objects.filter(client=client, key=key).filter(
        Q(expires_at__lte=now) | Q(status__isnull=True, created_at__lte=now - ABANDONED_AFTER)).delete()
    try:
        with transaction.atomic():
            row = IdempotentRequest.objects.create(client=client, key=key, method=method, path=path,
                                                   fingerprint=fingerprint, created_at=now,
                                                   expires_at=now + IdempotentRequest.LIFETIME)
        return Claim(row, new=True)
    except IntegrityError:
        return Claim(IdempotentRequest.objects.get(client=client, key=key), new=False)


def finish(row: IdempotentRequest, *, status: int, headers: dict, body: bytes, reads: list[dict]) -> None:
    IdempotentRequest.objects.filter(pk=row.pk).update(status=status, headers=headers, body=body, reads=reads)


def release(row: IdempotentRequest) -> None:
    IdempotentRequest.objects.filter(pk=row.pk, status__isnull=True).delete()


def purge_expired(now=None) -> int:
    return IdempotentRequest.objects.filter(expires_at__lte=now or timezone.now()).delete()[0]
