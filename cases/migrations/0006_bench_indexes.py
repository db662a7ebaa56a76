from django.db import migrations, models


class Migration(migrations.Migration):
    """Indexes the national-scale benchmark showed a need for (see bench/)."""

    dependencies = [
        ("cases", "0005_reports_importjob"),
    ]

    operations = [
        # Every case list is ordered newest filing first; with this index a page is read in
        # order and stops after 50 rows instead of sorting the whole scope.
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["-filed_on", "-id"], name="case_filed_id"),
        ),
    ]
