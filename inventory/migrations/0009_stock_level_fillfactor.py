"""Stock levels keep a tenth of each page free (fillfactor 90).

Every order updates its stock levels' `reserved`, which no index contains, so PostgreSQL can
write the new row version on the same page (a HOT update: no index entries, the row stays
where it is) - if the page has room. With full pages some updates moved their row elsewhere
(91 % HOT in bench_orders.py), and a product's levels, which routing and availability read
together, drifted apart. Applies to pages written from now on (the import writes new levels
product by product, inventory/stock_import/postgres.py); `VACUUM FULL` or `pg_repack`
rewrites old ones. Nothing on SQLite.
"""

from django.db import migrations

from oms.migration_ops import PostgreSQLOnly


class Migration(migrations.Migration):
    dependencies = [("inventory", "0008_intake_index_trim")]

    operations = [
        PostgreSQLOnly(
            migrations.RunSQL(
                "ALTER TABLE inventory_stocklevel SET (fillfactor = 90)",
                "ALTER TABLE inventory_stocklevel RESET (fillfactor)",
            )
        )
    ]
