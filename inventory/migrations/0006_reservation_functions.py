"""Intake's two hottest statements as PostgreSQL functions with one generic plan.

`pg_stat_statements` with `track_planning` showed both planned again on every execution
(PostgreSQL's plan cache kept a custom plan for them, as for availability in 0005): the
reservation statement spent as long planning as running (0.34 + 0.33 ms per order) and the
routing snapshot's stock read 0.11 + 0.31 ms. Inside a PL/pgSQL function each is prepared
once per connection and `SET plan_cache_mode = force_generic_plan` applies to the function
only.

- `oms_reserve_one` / `oms_reserve_many`: the statement of inventory/reservation_sql.py (its
  docstring has the rules) for one stock level and for several. A function runs its one
  statement exactly as a client's statement: in READ COMMITTED with a snapshot of its own,
  the conditional UPDATE re-checked on the newest row version, the same row locks in the same
  order, held by the caller's transaction.
- `oms_stock_rows`: (level, location, product, on hand, reserved, safety stock) of some
  locations x products (routing/snapshot.py).

Nothing on SQLite (the ORM paths serve it).
"""

from django.db import migrations

RESERVE_ARGUMENTS = (
    "p_ords integer[], p_req_levels bigint[], p_req_qtys integer[], p_holders text[], "
    "p_active text, p_kind text, p_reference text, p_actor text, p_now timestamptz"
)
RESERVE_RESULT = "TABLE(o_ok boolean, o_ids bigint[], o_levels bigint[], o_holders text[])"
ONE_ARGUMENTS = "p_level bigint, p_qty integer, " + RESERVE_ARGUMENTS
MANY_ARGUMENTS = "p_levels bigint[], p_qtys integer[], " + RESERVE_ARGUMENTS

ONE_LEVEL = """
granted AS (
    UPDATE {level} AS s SET reserved = s.reserved + p_qty
    WHERE s.id = p_level AND s.on_hand >= s.reserved + s.safety_stock + p_qty
    RETURNING s.id
),
verdict AS (SELECT count(*) > 0 AS ok FROM granted),"""

SEVERAL_LEVELS = """
wanted (level_id, qty) AS (SELECT * FROM unnest(p_levels, p_qtys)),
locked AS MATERIALIZED (
    SELECT s.id FROM {level} AS s WHERE s.id = ANY(p_levels)
    ORDER BY s.id FOR NO KEY UPDATE
),
all_locked AS MATERIALIZED (SELECT count(*) AS n FROM locked),
granted AS (
    UPDATE {level} AS s SET reserved = s.reserved + w.qty
    FROM wanted AS w, all_locked AS a
    WHERE s.id = w.level_id AND a.n > 0
      AND s.on_hand >= s.reserved + s.safety_stock + w.qty
    RETURNING s.id
),
verdict AS (SELECT count(*) = cardinality(p_levels) AS ok FROM granted),"""

WRITES = """
requested (ord, level_id, qty, holder) AS (
    SELECT * FROM unnest(p_ords, p_req_levels, p_req_qtys, p_holders)
),
reservations AS (
    INSERT INTO {reservation} (stock_level_id, quantity, holder, status, created_at, closed_at)
    SELECT r.level_id, r.qty, r.holder, p_active, p_now, NULL
    FROM requested AS r, verdict AS v WHERE v.ok ORDER BY r.ord
    RETURNING id, stock_level_id, quantity, holder
),
movements AS (
    INSERT INTO {movement} (stock_level_id, kind, on_hand_delta, reserved_delta,
        safety_stock_delta, reason, reference, actor, reservation_id, created_at)
    SELECT res.stock_level_id, p_kind, 0, res.quantity, 0, '',
        COALESCE(NULLIF(p_reference, ''), res.holder), p_actor, res.id, p_now
    FROM reservations AS res ORDER BY res.id
)
SELECT (SELECT ok FROM verdict),
       (SELECT coalesce(array_agg(id ORDER BY id), '{{}}') FROM reservations),
       (SELECT coalesce(array_agg(stock_level_id ORDER BY id), '{{}}') FROM reservations),
       (SELECT coalesce(array_agg(holder::text ORDER BY id), '{{}}') FROM reservations)"""

STOCK_ROWS_ARGUMENTS = "p_products bigint[], p_locations bigint[]"
STOCK_ROWS_RESULT = (
    "TABLE(o_id bigint, o_location_id bigint, o_product_id bigint, o_on_hand integer, "
    "o_reserved integer, o_safety_stock integer)"
)
STOCK_ROWS = """
SELECT id, location_id, product_id, on_hand, reserved, safety_stock FROM {level}
WHERE product_id = ANY(p_products) AND location_id + 0 = ANY(p_locations)"""

FUNCTIONS = [
    ("oms_reserve_one", ONE_ARGUMENTS, RESERVE_RESULT, "WITH " + ONE_LEVEL + WRITES, "VOLATILE"),
    (
        "oms_reserve_many",
        MANY_ARGUMENTS,
        RESERVE_RESULT,
        "WITH " + SEVERAL_LEVELS + WRITES,
        "VOLATILE",
    ),
    ("oms_stock_rows", STOCK_ROWS_ARGUMENTS, STOCK_ROWS_RESULT, STOCK_ROWS, "STABLE"),
]


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    tables = {
        "level": apps.get_model("inventory", "StockLevel")._meta.db_table,
        "reservation": apps.get_model("inventory", "Reservation")._meta.db_table,
        "movement": apps.get_model("inventory", "StockMovement")._meta.db_table,
    }
    for name, arguments, result, body, volatility in FUNCTIONS:
        schema_editor.execute(
            f"CREATE OR REPLACE FUNCTION {name}({arguments}) RETURNS {result} "
            f"LANGUAGE plpgsql {volatility} SET plan_cache_mode = force_generic_plan AS $body$ "
            f"BEGIN RETURN QUERY {body.format(**tables)}; END $body$"
        )


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, arguments, _result, _body, _volatility in FUNCTIONS:
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}({arguments})")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0005_availability_json_function")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
