"""strategy_version_unique (strategy, number) leads with strategy_id: its own index goes, the
foreign key stays (`oms.migration_ops.drop_field_index`)."""

import django.db.models.deletion
from django.db import migrations, models

from oms.migration_ops import field_index_drop


class Migration(migrations.Migration):
    dependencies = [("routing", "0002_input_bounds")]

    operations = [
        field_index_drop(
            "routing",
            "strategyversion",
            "strategy",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="versions",
                to="routing.routingstrategy",
            ),
        )
    ]
