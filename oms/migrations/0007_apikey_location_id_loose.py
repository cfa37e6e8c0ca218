"""ApiKey.location (a foreign key to inventory.Location, an arrow up from the platform) becomes
a plain location id. The column and its values stay; only the constraint goes."""

from django.db import migrations, models

HELP = "Set for a location system's key: it then sees that location's fulfilments."


class Migration(migrations.Migration):
    dependencies = [
        ("oms", "0006_channel_email_notifications"),
    ]

    operations = [
        migrations.AlterField(
            model_name="apikey",
            name="location",
            field=models.BigIntegerField(
                null=True, blank=True, db_index=True, db_column="location_id", help_text=HELP
            ),
        ),
        migrations.RenameField(model_name="apikey", old_name="location", new_name="location_id"),
        migrations.AlterField(
            model_name="apikey",
            name="location_id",
            field=models.BigIntegerField(null=True, blank=True, db_index=True, help_text=HELP),
        ),
    ]
