"""The R260 withdrawal rule moves from the engine's code into the catalog.

The engine flagged a withdrawn case for legal review unless its regulation was R260;
that is now ``Regulation.withdrawal_needs_review`` (``false`` in fixtures/catalog/R260.json).
Rows loaded before this migration get the value the code gave them.
"""

from django.db import migrations, models


def r260_withdrawal_is_not_reviewed(apps, schema_editor):
    Regulation = apps.get_model("cases", "Regulation")
    Regulation.objects.filter(code="R260").update(withdrawal_needs_review=False)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_bench_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="regulation",
            name="withdrawal_needs_review",
            field=models.BooleanField(
                default=True, verbose_name="withdrawal flagged for legal review"
            ),
        ),
        migrations.RunPython(r260_withdrawal_is_not_reviewed, migrations.RunPython.noop),
    ]
