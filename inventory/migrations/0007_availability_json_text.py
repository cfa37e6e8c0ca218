"""The availability function of 0005 writes its JSON as text instead of through `json_agg`.

Same name, arguments, rows and answer (tests/integration/test_availability_json.py holds it
equal to the selector's answer rendered). What changed is how the per-location objects are
written: `json_agg` turns every row into a record and then into JSON, looking up the column
names and escaping each value on the way; here each object is concatenated from its numbers
and the location code escaped once per call (the `serving` rows carry the object's head).
The inbound list (a few rows at most) keeps `json_agg`. Each asked SKU is looked up by itself
(a LATERAL subquery with LIMIT 1 on the unique SKU): the generic plan of a join chose to scan
the whole catalogue when it was small (500 SKUs in the benchmark), and an index lookup per SKU
is right for any size.

And `SET enable_bitmapscan = off` for this function only: a SKU's stock levels are one per
location, each on a page of its own (a stock row is written where there is room when its
location's feed first lists it), so the generic plan's bitmap heap scan builds a page bitmap
per SKU to visit every page once anyway; a plain scan of the (product, location) index does
the same visits without it.

`pgbench -M prepared`, one client, 5 alternated rounds (bench_orders' data: 50 locations):
5 SKUs 0.79 -> 0.67 ms per call (median), 50 SKUs 8.0 -> 5.9 ms; the lookup per SKU, 5 SKUs,
3 alternated pairs: 0.52 -> 0.50 ms.

Nothing on SQLite (the quickstart renders the selector's answer instead).
"""

import importlib

from django.db import migrations

PREVIOUS = importlib.import_module("inventory.migrations.0005_availability_json_function")

BODY = """
    WITH wanted AS (
        SELECT a.ord, a.sku, p.id
        FROM unnest(p_skus) WITH ORDINALITY AS a(sku, ord)
        LEFT JOIN LATERAL (
            SELECT p.id FROM {product} p WHERE p.sku = a.sku AND p.active LIMIT 1
        ) p ON true
    ), serving AS (
        SELECT l.id, l.code, l.kind, '{{"location":' || to_json(l.code)::text || ',"on_hand":' AS head
        FROM {location} l JOIN {serves} s ON s.location_id = l.id
        WHERE s.channel_id = p_channel AND l.active
    )
    SELECT '[' || COALESCE(string_agg(
        '{{"sku":' || to_json(w.sku)::text || ',"known":' || (w.id IS NOT NULL)::text
        || ',"available":' || GREATEST(lv.total - p_buffer, 0)
        || ',"inbound_total":' || ib.quantity || ',"preorder_available":' || ib.sellable
        || ',"locations":[' || lv.items || '],"inbound":' || ib.items || '}}',
        ',' ORDER BY w.ord), '') || ']'
    FROM wanted w
    CROSS JOIN LATERAL (
        SELECT COALESCE(SUM(GREATEST(sl.on_hand - sl.reserved - sl.safety_stock, 0)), 0) AS total,
               COALESCE(string_agg(
                   l.head || sl.on_hand || ',"reserved":' || sl.reserved
                   || ',"safety_stock":' || sl.safety_stock || ',"available":'
                   || GREATEST(sl.on_hand - sl.reserved - sl.safety_stock, 0) || '}}',
                   ',' ORDER BY l.code) FILTER (WHERE p_locations), '') AS items
        FROM {level} sl JOIN serving l ON l.id = sl.location_id
        WHERE sl.product_id = w.id
    ) lv
    CROSS JOIN LATERAL (
        SELECT COALESCE(SUM(y.quantity), 0) AS quantity, COALESCE(SUM(y.sellable), 0) AS sellable,
               COALESCE(json_agg(y ORDER BY y.expected_date, y.location), '[]')::text AS items
        FROM {inbound_rows} y
    ) ib
"""


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    PREVIOUS.create(apps, schema_editor, body=BODY, settings="SET enable_bitmapscan = off")


def restore(apps, schema_editor):  # type: ignore[no-untyped-def]
    PREVIOUS.create(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0006_reservation_functions")]

    operations = [migrations.RunPython(create, restore, elidable=False)]
