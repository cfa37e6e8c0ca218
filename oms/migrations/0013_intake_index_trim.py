"""The outbox's own index on channel_id goes (outbox_feed_idx (channel, txid, id) leads with
it; each order writes about three messages). Only the index: the foreign key stays
(`oms.migration_ops.drop_field_index`)."""

from django.db import migrations
from django.db.models import CASCADE

from oms.migration_ops import field_index_drop, unindexed_foreign_key


class Migration(migrations.Migration):
    dependencies = [("oms", "0012_channel_email_order_delayed")]

    operations = [
        field_index_drop(
            "oms", "outboxmessage", "channel", unindexed_foreign_key("oms.channel", CASCADE, "+", null=True)
        )
    ]
