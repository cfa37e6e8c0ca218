"""Routing decision logs are compressed with lz4 instead of pglz (PostgreSQL 14+).

Every order writes one log (~11 KB of JSON, over the 2 KB at which PostgreSQL compresses a
value). Compressing it with pglz took about half of what PostgreSQL spends storing it: 2,000
logs of bench_orders into a table, 0.234 ms per log with pglz, 0.117 ms with lz4 (stored 2.8
KB against 3.4 KB). Logs already stored stay as they are (both methods read back).

Only where the server was built with lz4 (`default_toast_compression` accepts it: Debian,
Ubuntu, the official images and the managed services do); elsewhere, and on SQLite, nothing.
"""

from django.db import migrations

from oms.migration_ops import column_compression


class Migration(migrations.Migration):
    dependencies = [("orders", "0011_intake_refusal_counts")]

    operations = [column_compression("orders", "routingdecision", "log", "lz4")]
