"""The database itself refuses to change or remove an audit event."""

from django.db import migrations

from cases.audit import sql as audit_sql


def forwards(apps, schema_editor):
    audit_sql.install(schema_editor.connection)


def backwards(apps, schema_editor):
    audit_sql.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
