"""strategy_version_unique (strategy, number) leads with strategy_id: its own index goes, the
foreign key stays (`oms.migration_ops.drop_field_index`)."""

from django.db import migrations
from django.db.models import CASCADE

from oms.migration_ops import field_index_drop, unindexed_foreign_key


class Migration(migrations.Migration):
    dependencies = [("routing", "0002_input_bounds")]

    operations = [
        field_index_drop(
            "routing",
            "strategyversion",
            "strategy",
            unindexed_foreign_key("routing.routingstrategy", CASCADE, "versions"),
        )
    ]
