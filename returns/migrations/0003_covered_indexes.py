"""Foreign-key indexes another index already leads with go (the foreign keys stay,
`oms.migration_ops.drop_field_index`): returns_returnline.return_request_id
(return_line_unique), returns_returnreceipt.return_request_id (return_receipt_parcel_unique)
and returns_returnrequest.channel_id (return_state)."""

import django.db.models.deletion
from django.db import migrations, models

from oms.migration_ops import field_index_drop


class Migration(migrations.Migration):
    dependencies = [("oms", "0013_intake_index_trim"), ("returns", "0002_default_reasons")]

    operations = [
        field_index_drop(
            "returns",
            "returnline",
            "return_request",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="lines",
                to="returns.returnrequest",
            ),
        ),
        field_index_drop(
            "returns",
            "returnreceipt",
            "return_request",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="receipts",
                to="returns.returnrequest",
            ),
        ),
        field_index_drop(
            "returns",
            "returnrequest",
            "channel",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="returns",
                to="oms.channel",
            ),
        ),
    ]
