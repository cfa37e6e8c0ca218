"""Fewer index entries per order (issue 13: PostgreSQL's CPU per order).

Each placed order wrote about 126 index entries. Dropped here, only the indexes (the
foreign keys stay, see `oms.migration_ops.drop_field_index`):
- the foreign-key indexes another index already leads with: orders_order.channel_id
  (order_reference_unique_per_channel, order_channel_state), orders_orderline.order_id
  (order_line_unique), orders_orderevent.order_id (order_event_sequence_unique),
  orders_fulfilment.location_id (fulfilment_location_state, fulfilment_location_day);
- the `_like` twins (varchar_pattern_ops) of orders_orderevent.type and
  orders_checkouthold.token: nothing matches them by prefix (tokens and types by equality);
- pickup_location_id and transfer_to_id are indexed only where set (partial indexes): most
  orders are shipped, and a NULL entry serves no query.
"""

from django.db import migrations, models
from django.db.models import CASCADE, PROTECT

from oms.migration_ops import drop_field_index, field_index_drop, unindexed_foreign_key


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0008_intake_index_trim"),
        ("oms", "0013_intake_index_trim"),
        ("orders", "0013_idempotency_channel_index"),
    ]

    operations = [
        field_index_drop(
            "orders",
            "fulfilment",
            "location",
            unindexed_foreign_key("inventory.location", PROTECT, "fulfilments"),
        ),
        field_index_drop(
            "orders",
            "fulfilment",
            "transfer_to",
            unindexed_foreign_key("inventory.location", PROTECT, "+", null=True),
        ),
        field_index_drop(
            "orders", "order", "channel", unindexed_foreign_key("oms.channel", PROTECT, "orders")
        ),
        field_index_drop(
            "orders",
            "order",
            "pickup_location",
            unindexed_foreign_key("inventory.location", PROTECT, "pickup_orders", null=True),
        ),
        field_index_drop(
            "orders", "orderevent", "order", unindexed_foreign_key("orders.order", CASCADE, "events")
        ),
        field_index_drop(
            "orders", "orderline", "order", unindexed_foreign_key("orders.order", CASCADE, "lines")
        ),
        drop_field_index("orders", "orderevent", "type", like=True),
        drop_field_index("orders", "checkouthold", "token", like=True),
        migrations.AddIndex(
            model_name="fulfilment",
            index=models.Index(
                condition=models.Q(("transfer_to__isnull", False)),
                fields=["transfer_to"],
                name="fulfilment_transfer_to",
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(("pickup_location__isnull", False)),
                fields=["pickup_location"],
                name="order_pickup_location",
            ),
        ),
    ]
