"""Dataclass payloads as plain, copied data: `dataclasses.asdict`'s answer without its generic
recursion (every order event's payload passes here; tests/unit/test_event_data.py)."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any


def dataclass_data(obj: Any) -> dict[str, Any]:
    """`dataclasses.asdict(obj)` for payloads of lists, dicts, tuples and scalars."""
    return {name: _plain(getattr(obj, name)) for name in _field_names(type(obj))}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


_ATOMS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is list:
        return [_plain(item) for item in value]
    if kind is dict:
        return {_plain(k): _plain(v) for k, v in value.items()}
    if kind is tuple:
        return tuple(_plain(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return copy.deepcopy(value)
