"""inventory.api.serializers.availability_query reads well-formed availability queries itself
and answers what AvailabilityQuerySerializer answers; everything else reaches the serializer."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from rest_framework.exceptions import ValidationError

from inventory.api import serializers as s

WELL_FORMED = [
    "skus=A",
    "skus=A,B,C",
    "skus=%20A%20,%20B%20,,",
    "skus=A,A,B",
    "skus=A&include_inbound=false",
    "skus=A&include_inbound=0&include_locations=1",
    "skus=A&include_locations=False&include_inbound=yes",
    "skus=A&include_inbound=T&include_locations=N",
    "skus=A&include_locations=off&include_locations=on",
    "skus=A&skus=B,C",
    "skus=" + ",".join(f"S{n}" for n in range(s.MAX_AVAILABILITY_SKUS)),
    "skus=A&other=1",
]

REFUSED = [
    "",
    "skus=",
    "skus=,,%20,",
    "skus=A&include_inbound=maybe",
    "skus=" + ",".join(f"S{n}" for n in range(s.MAX_AVAILABILITY_SKUS + 1)),
    "skus=A%00B",
]

SERIALIZER_ONLY = ["skus=%C3%A4pfel", "skus=A&include_locations="]


def _serializer(query: str) -> dict:
    serializer = s.AvailabilityQuerySerializer(data=QueryDict(query))
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


@pytest.mark.parametrize("query", WELL_FORMED)
def test_well_formed_queries_are_read_without_the_serializer(query: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    expected = _serializer(query)

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("went through the serializer")

    monkeypatch.setattr(s, "AvailabilityQuerySerializer", refuse)
    assert s.availability_query(QueryDict(query)) == expected


@pytest.mark.parametrize("query", REFUSED)
def test_bad_queries_get_the_serializer_s_errors(query: str) -> None:
    with pytest.raises(ValidationError) as expected:
        _serializer(query)
    with pytest.raises(ValidationError) as ours:
        s.availability_query(QueryDict(query))
    assert ours.value.detail == expected.value.detail


@pytest.mark.parametrize("query", SERIALIZER_ONLY)
def test_other_valid_queries_go_through_the_serializer(query: str) -> None:
    assert s.availability_query(QueryDict(query)) == _serializer(query)
