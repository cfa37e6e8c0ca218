"""Serializer fields built once per class and thread, for the hottest input serializers.

DRF deep-copies a serializer's declared fields (nested serializers included) every time one is
instantiated: for the order intake's input that was about a millisecond per request, more than
the validation itself. `FieldsBuiltOnce` keeps the copied and bound fields per thread and
re-points them at the new serializer. Fields hold no per-request state while validating (values
travel through return values and ValidationErrors), and each thread has its own copy, so requests
cannot see each other's data, in sync or threaded workers alike. Use it only for serializers
that do not change their fields per instance (no `__init__` that adds or drops fields).
"""

from __future__ import annotations

import threading
from functools import cached_property

from rest_framework.utils.serializer_helpers import BindingDict

_local = threading.local()


class FieldsBuiltOnce:
    @cached_property
    def fields(self) -> BindingDict:
        cache: dict[type, BindingDict] = _local.__dict__.setdefault("fields", {})
        fields = cache.get(type(self))
        if fields is None:
            fields = BindingDict(self)
            for name, field in self.get_fields().items():  # type: ignore[attr-defined]
                fields[name] = field
            cache[type(self)] = fields
            return fields
        fields.serializer = self
        for field in fields.values():
            field.parent = self
        return fields
