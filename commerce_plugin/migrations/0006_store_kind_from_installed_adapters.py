# Store.kind loses its fixed choices: the kinds are "generic" and those of the installed adapters
# (the commerce_plugin.stores entry points), which no migration can know. Nothing changes in the table.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("commerce_plugin", "0005_store_api_credentials"),
    ]

    operations = [
        migrations.AlterField(
            model_name="store",
            name="kind",
            field=models.CharField(default="generic", max_length=32),
        ),
    ]
