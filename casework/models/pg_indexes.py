"""Indexes that exist on PostgreSQL only (GIN, GiST): on other databases they are nothing, so that
the same migrations, and the same model state, run on both (SQLite answers the same queries
without them)."""


class PostgresOnlyIndex:
    """Mixed in before a `django.contrib.postgres` index class: an empty statement elsewhere."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return ""  # an empty statement: nothing to run
        return super().create_sql(model, schema_editor, using=using, **kwargs)

    def remove_sql(self, model, schema_editor, **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return ""
        return super().remove_sql(model, schema_editor, **kwargs)
