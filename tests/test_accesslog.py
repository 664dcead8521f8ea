"""The access log is append-only on every code path: model, queryset, admin and the database."""

import pytest
from django.contrib.admin.sites import site
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from casework.models import AccessLog, AppendOnlyError
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def row(vo_school):
    case = CaseFactory(school=vo_school)
    return AccessLog.objects.create(user=UserFactory(), case=case, action="view", path="/cases/1/")


def test_model_save_of_existing_row_refused(row):
    row.action = "api_view"
    with pytest.raises(AppendOnlyError):
        row.save()
    assert AccessLog.objects.get(pk=row.pk).action == "view"


def test_model_delete_refused(row):
    with pytest.raises(AppendOnlyError):
        row.delete()
    assert AccessLog.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("operation", [
    lambda qs, row: qs.update(action="api_view"),
    lambda qs, row: qs.delete(),
    lambda qs, row: qs.bulk_update([row], ["action"]),
    lambda qs, row: qs.update_or_create(pk=row.pk, defaults={"action": "x"}),
], ids=["update", "delete", "bulk_update", "update_or_create"])
def test_queryset_changes_refused(row, operation):
    with pytest.raises(AppendOnlyError):
        operation(AccessLog.objects.all(), row)
    assert AccessLog.objects.get(pk=row.pk).action == "view"


def test_database_refuses_raw_update(row):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE casework_accesslog SET action = 'x' WHERE id = %s", [row.pk])
    assert AccessLog.objects.get(pk=row.pk).action == "view"


@pytest.mark.postgresql  # the row DELETE trigger exists on PostgreSQL only
def test_postgres_refuses_raw_delete(row):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM casework_accesslog WHERE id = %s", [row.pk])
    assert AccessLog.objects.filter(pk=row.pk).exists()


def test_admin_is_read_only(row):
    admin = site._registry[AccessLog]
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request, row)
    assert not admin.has_delete_permission(request, row)
    assert admin.get_actions(request) == {}


def test_case_with_access_log_cannot_be_deleted(row):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        row.case.delete()
