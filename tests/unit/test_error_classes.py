"""One error class per code: no two OMSError subclasses answer with the same `code`, and no
service overrides a class's code at the raise site (`SomeError(code="...")`)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import tests.api.test_schema_strictness as strictness
from oms.errors import OMSError

ROOT = Path(__file__).resolve().parents[2]
APPS = ("oms", "inventory", "routing", "orders", "returns", "demo")
BASE = ROOT / "oms" / "errors.py"


def error_classes() -> set[type[OMSError]]:
    strictness.import_every_module()
    return strictness.subclasses(OMSError) | {OMSError}


def overriding_calls(source: str, class_names: set[str]) -> list[tuple[int, str]]:
    """(line, class) of every call of an error class that passes `code=`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in class_names and any(k.arg == "code" for k in node.keywords):
            found.append((node.lineno, name))
    return found


def test_no_two_error_classes_share_a_code() -> None:
    by_code: dict[str, list[str]] = defaultdict(list)
    for cls in error_classes():
        by_code[cls.code].append(f"{cls.__module__}.{cls.__qualname__}")
    assert {"out_of_stock", "unknown_sku", "stock_import_conflict"} <= by_code.keys()
    shared = {code: sorted(names) for code, names in by_code.items() if len(names) > 1}
    assert shared == {}


def test_no_error_is_raised_with_an_overridden_code() -> None:
    names = {cls.__name__ for cls in error_classes()}
    offenders = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if path == BASE or "migrations" in path.parts:
                continue
            for line, name in overriding_calls(path.read_text(), names):
                offenders.append(f"{path.relative_to(ROOT)}:{line} {name}")
    assert offenders == []


def test_the_scan_finds_an_overridden_code() -> None:
    """The scan above can fail: it sees both spellings of the old pattern."""
    source = (
        "raise InvalidQuantity('A note needs text.', code='note_empty')\n"
        "raise errors.Conflict('Taken.', code='taken')\n"
        "Location(pk=1, code='berlin')\n"
    )
    assert overriding_calls(source, {"InvalidQuantity", "Conflict"}) == [
        (1, "InvalidQuantity"),
        (2, "Conflict"),
    ]
