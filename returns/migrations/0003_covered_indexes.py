"""Foreign-key indexes another index already leads with go (the foreign keys stay,
`oms.migration_ops.drop_field_index`): returns_returnline.return_request_id
(return_line_unique), returns_returnreceipt.return_request_id (return_receipt_parcel_unique)
and returns_returnrequest.channel_id (return_state)."""

from django.db import migrations
from django.db.models import CASCADE, PROTECT

from oms.migration_ops import field_index_drop, unindexed_foreign_key


class Migration(migrations.Migration):
    dependencies = [("oms", "0013_intake_index_trim"), ("returns", "0002_default_reasons")]

    operations = [
        field_index_drop(
            "returns",
            "returnline",
            "return_request",
            unindexed_foreign_key("returns.returnrequest", CASCADE, "lines"),
        ),
        field_index_drop(
            "returns",
            "returnreceipt",
            "return_request",
            unindexed_foreign_key("returns.returnrequest", CASCADE, "receipts"),
        ),
        field_index_drop(
            "returns",
            "returnrequest",
            "channel",
            unindexed_foreign_key("oms.channel", PROTECT, "returns"),
        ),
    ]
