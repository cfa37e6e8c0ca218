"""The hand-written SQL (README, "Hand-written SQL"; docs/decisions/0004) against the models.

- Each raw INSERT names every required column of its table: a NOT NULL column without a
  database default. Raw SQL skips the model's Python defaults, so a new field with only a
  Python default would otherwise break intake on PostgreSQL while SQLite (the ORM twin) works.
- Table names come from `_meta.db_table`: no module spells a table name out.
No database needed: the statements are read from the modules, the columns from the models.
"""

from __future__ import annotations

import importlib
import inspect
import re

import pytest
from django.apps import apps
from django.db import models

# Every module with hand-written SQL that writes (the README lists them with their ORM twins).
RAW_SQL_MODULES = [
    "inventory.reservation_sql",
    "inventory.migrations.0006_reservation_functions",
    "orders.services.intake_rows",
    "orders.services.fulfilment_rows",
    "inventory.stock_import.postgres",
    "inventory.stock_import.service",
    "inventory.services.feeds",
    "orders.events",
    "orders.idempotency",
    "oms.hub.publish",
]
# The modules whose statements insert rows.
INSERTING_MODULES = [
    "inventory.migrations.0006_reservation_functions",  # the reservation statement
    "orders.services.intake_rows",
    "orders.services.fulfilment_rows",
    "inventory.stock_import.postgres",
    "orders.events",
    "orders.idempotency",
    "oms.hub.publish",
]
# Their statements are module constants built from column lists at import: read at run time.
BUILT_AT_IMPORT = {"orders.services.intake_rows", "orders.services.fulfilment_rows"}

INSERT = re.compile(r"INSERT\s+INTO\s+([a-z_][a-z0-9_]*)\s*\(([^)]*)\)", re.IGNORECASE)


def _tables() -> dict[str, type[models.Model]]:
    return {m._meta.db_table: m for m in apps.get_models()}


def _required_columns(model: type[models.Model]) -> set[str]:
    required = set()
    for field in model._meta.concrete_fields:
        if field.primary_key and isinstance(field, models.AutoField | models.BigAutoField):
            continue
        if field.null or field.db_default is not models.NOT_PROVIDED:
            continue
        required.add(field.column)
    return required


def _resolved_source(module_name: str) -> str:
    """The module's source with `{Model._meta.db_table}` and `{NAME}` (a module-level string)
    filled in, so statements built in functions are read as well as module constants."""
    module = importlib.import_module(module_name)
    source = inspect.getsource(module)

    def table(match: re.Match) -> str:
        return getattr(module, match.group(1))._meta.db_table

    def constant(match: re.Match) -> str:
        value = getattr(module, match.group(1), None)
        return value if isinstance(value, str) else match.group(0)

    source = re.sub(r"\{(\w+)\._meta\.db_table\}", table, source)
    return re.sub(r"\{(\w+)\}", constant, source)


def _function_bodies(module_name: str) -> str:
    """A migration's SQL function bodies with the tables they name filled in."""
    module = importlib.import_module(module_name)
    tables = {
        "level": "inventory_stocklevel",
        "reservation": "inventory_reservation",
        "movement": "inventory_stockmovement",
    }
    return "\n".join(body.format(**tables) for _name, _args, _result, body, _v in module.FUNCTIONS)


def _module_strings(module_name: str) -> str:
    """The module's string constants as they are at run time (statements built from column
    lists at import)."""
    module = importlib.import_module(module_name)
    return "\n".join(value for value in vars(module).values() if isinstance(value, str))


def _inserts(module_name: str) -> list[tuple[str, list[str]]]:
    if ".migrations." in module_name:
        sql = _function_bodies(module_name)
    elif module_name in BUILT_AT_IMPORT:
        sql = _module_strings(module_name)
    else:
        sql = _resolved_source(module_name)
    return [
        (table, [c.strip().strip('"') for c in columns.split(",") if c.strip()])
        for table, columns in INSERT.findall(sql)
    ]


@pytest.mark.parametrize("module_name", INSERTING_MODULES)
def test_each_raw_insert_names_every_required_column(module_name):
    inserts = _inserts(module_name)
    assert inserts, f"no INSERT found in {module_name}"
    tables = _tables()
    for table, columns in inserts:
        assert table in tables, f"{module_name}: {table} is no model's table"
        model = tables[table]
        known = {f.column for f in model._meta.concrete_fields}
        assert set(columns) <= known, (module_name, table, set(columns) - known)
        missing = _required_columns(model) - set(columns)
        assert not missing, f"{module_name}: INSERT INTO {table} lacks {sorted(missing)}"


def test_a_new_required_column_would_be_caught():
    """The check itself: a NOT NULL column without a database default counts as required."""
    from inventory.models import StockMovement

    required = _required_columns(StockMovement)
    assert {"stock_level_id", "kind", "actor", "created_at", "on_hand_delta"} <= required
    assert "reservation_id" not in required  # nullable
    assert "id" not in required  # the sequence fills it


@pytest.mark.parametrize("module_name", RAW_SQL_MODULES)
def test_table_names_come_from_the_models(module_name):
    source = inspect.getsource(importlib.import_module(module_name))
    spelled_out = [table for table in _tables() if re.search(rf"\b{table}\b", source)]
    assert spelled_out == [], f"{module_name} spells out {spelled_out}; use _meta.db_table"
