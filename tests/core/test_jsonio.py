"""Stored JSON read and written many values at a time: the same values and texts as one by one."""
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockbook.core import jsonio
from stockbook.core.jsonio import dump_many, parse_many

plain = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                     max_leaves=8)


@given(st.lists(plain, max_size=20))
def test_dump_many_writes_what_json_dumps_writes(values):
    assert dump_many(values) == [json.dumps(v) for v in values]


@given(st.lists(plain, max_size=20))
def test_parse_many_reads_what_json_loads_reads(values):
    texts = [json.dumps(v) for v in values]
    assert parse_many(texts) == [json.loads(t) for t in texts]


def test_parse_many_reads_null_and_keeps_values_a_driver_parsed():
    assert parse_many(['{"cost": 5}', None, "[1, 2]"]) == [{"cost": 5}, None, [1, 2]]
    assert parse_many(['{"cost": 5}', {"cost": 6}, None]) == [{"cost": 5}, {"cost": 6}, None]
    assert parse_many([{}, None]) == [{}, None]  # an empty value a driver parsed is not read as NULL
    assert parse_many([]) == []


def test_parse_many_refuses_what_is_not_json():
    with pytest.raises(json.JSONDecodeError):
        parse_many(['{"cost": 5}', "{"])
    with pytest.raises(json.JSONDecodeError):  # two values in one text: not read as two rows
        parse_many(['{"cost": 5}', "1, 2"])


def test_dump_many_without_the_c_encoder(monkeypatch):
    monkeypatch.setattr(jsonio, "_encode", None)
    assert dump_many([{"a": 1}, None, "é"]) == ['{"a": 1}', "null", '"\\u00e9"']
