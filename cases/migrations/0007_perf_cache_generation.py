from django.db import migrations, models


def create_rows(apps, schema_editor):  # type: ignore[no-untyped-def]
    generation = apps.get_model("cases", "CacheGeneration")
    for name in ("catalog", "org"):
        generation.objects.get_or_create(name=name, defaults={"value": 0})


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_bench_indexes")]

    operations = [
        migrations.CreateModel(
            name="CacheGeneration",
            fields=[
                ("name", models.CharField(max_length=16, primary_key=True, serialize=False)),
                ("value", models.PositiveBigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_rows, migrations.RunPython.noop),
    ]
