"""Stored JSON read and written many values at a time: the same values and texts as one by one."""
import json

from hypothesis import given
from hypothesis import strategies as st

from stockbook.core import jsonio
from stockbook.core.jsonio import dump_many

plain = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                     max_leaves=8)


@given(st.lists(plain, max_size=20))
def test_dump_many_writes_what_json_dumps_writes(values):
    assert dump_many(values) == [json.dumps(v) for v in values]


def test_dump_many_without_the_c_encoder(monkeypatch):
    monkeypatch.setattr(jsonio, "_encode", None)
    assert dump_many([{"a": 1}, None, "é"]) == ['{"a": 1}', "null", '"\\u00e9"']
