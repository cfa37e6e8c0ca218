"""Indexes that cost every write an entry and serve no query (issue 13, PostgreSQL's CPU per
order: each order writes about three reservations and three ledger movements). Only indexes
go; fields and foreign keys stay (`oms.migration_ops.drop_field_index`):
- foreign-key indexes another index already leads with: inventory_stockmovement.stock_level_id
  (movement_level_idx), inventory_stocklevel.location_id (stock_level_unique) and .product_id
  (stock_product_location), inventory_inboundstock.location_id (inbound_unique_reference) and
  .product_id (inbound_product_status);
- the `_like` twins (varchar_pattern_ops) of inventory_stockmovement.reference,
  inventory_reservation.holder and inventory_inboundreservation.holder: nothing matches them
  by prefix (the admin's search is a case-insensitive "contains", which no B-tree serves);
  the plain indexes stay for equality.
"""

from django.db import migrations
from django.db.models import PROTECT

from oms.migration_ops import drop_field_index, field_index_drop, unindexed_foreign_key


def _foreign_key(to, related_name):  # type: ignore[no-untyped-def]
    return unindexed_foreign_key(to, PROTECT, related_name)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0007_availability_json_text")]

    operations = [
        field_index_drop(
            "inventory",
            "stockmovement",
            "stock_level",
            _foreign_key("inventory.stocklevel", "movements"),
        ),
        field_index_drop(
            "inventory", "stocklevel", "location", _foreign_key("inventory.location", "stock_levels")
        ),
        field_index_drop(
            "inventory", "stocklevel", "product", _foreign_key("inventory.product", "stock_levels")
        ),
        field_index_drop(
            "inventory", "inboundstock", "location", _foreign_key("inventory.location", "inbound")
        ),
        field_index_drop(
            "inventory", "inboundstock", "product", _foreign_key("inventory.product", "inbound")
        ),
        drop_field_index("inventory", "stockmovement", "reference", like=True),
        drop_field_index("inventory", "reservation", "holder", like=True),
        drop_field_index("inventory", "inboundreservation", "holder", like=True),
    ]
