"""The API tokens of Django REST framework's `authtoken` app were kept in plain text (and shown in
the admin); they are deleted, not converted: treat them as seen. Its table goes, with its
migration records and its content types (and their permissions). Every API client signs in again
and gets a token of signin.ApiToken. On a database that never had the app, nothing happens."""

from django.db import migrations
from django.db.migrations.recorder import MigrationRecorder

OLD_APP = "authtoken"
OLD_TABLE = "authtoken_token"


def drop_plain_text_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE in connection.introspection.table_names():
        schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(OLD_TABLE)}")
    MigrationRecorder(connection).migration_qs.filter(app=OLD_APP).delete()
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.using(connection.alias).filter(app_label=OLD_APP).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("signin", "0001_api_tokens"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    # Nothing to bring back: the old tokens are gone for good.
    operations = [migrations.RunPython(drop_plain_text_tokens, migrations.RunPython.noop, elidable=True)]
