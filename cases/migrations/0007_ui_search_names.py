"""Search that ignores diacritics and case: a folded name column for officials.

On PostgreSQL the folded column also gets a trigram index (pg_trgm), so a search for a
part of a name ("quynh") is an index scan; the ``unaccent`` extension is installed for
ad-hoc queries by administrators. SQLite uses the plain index for prefix searches.
"""

import unicodedata

from django.db import migrations, models


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", (text or "").replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.lower().split())


def fill_search_names(apps, schema_editor):  # type: ignore[no-untyped-def]
    Official = apps.get_model("cases", "Official")
    batch = []
    for official in Official.objects.only("pk", "full_name").iterator(chunk_size=2000):
        official.search_name = fold(official.full_name)
        batch.append(official)
        if len(batch) >= 2000:
            Official.objects.bulk_update(batch, ["search_name"])
            batch = []
    if batch:
        Official.objects.bulk_update(batch, ["search_name"])


def postgres_trigram(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS official_search_name_trgm "
        "ON cases_official USING gin (search_name gin_trgm_ops)"
    )


def drop_postgres_trigram(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS official_search_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_bench_indexes")]

    operations = [
        migrations.AddField(
            model_name="official",
            name="search_name",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=120
            ),
        ),
        migrations.AddIndex(
            model_name="official",
            index=models.Index(fields=["search_name"], name="official_search_name"),
        ),
        migrations.RunPython(fill_search_names, migrations.RunPython.noop),
        migrations.RunPython(postgres_trigram, drop_postgres_trigram),
    ]
