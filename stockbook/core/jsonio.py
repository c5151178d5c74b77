"""JSON reading that never makes a float, the canonical text used to compare documents, and the stored JSON
columns (line results) read and written many values at a time."""
import json
from json.encoder import c_make_encoder, encode_basestring_ascii

from .money import JFloat


class NotJSON(ValueError):
    pass


def _reject_constant(name):
    raise NotJSON(f"not JSON: {name}")


def loads(text: str):
    """Parse JSON text; fractional/exponent numbers become JFloat (their text), NaN/Infinity are not JSON."""
    try:
        return json.loads(text, parse_float=JFloat, parse_constant=_reject_constant)
    except (json.JSONDecodeError, RecursionError) as e:
        raise NotJSON(str(e)) from e


def _canon(v):
    if isinstance(v, dict):
        return {k: _canon(x) for k, x in sorted(v.items()) if x is not None}
    if isinstance(v, list):
        return [_canon(x) for x in v]
    if isinstance(v, JFloat):
        return {"$float": str(v)}  # keep the text: 5 != 5.0
    return v


def canonical(obj) -> str:
    """Same keys in any order, same JSON types, numbers and strings by their text; null = absent."""
    return json.dumps(_canon(obj), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# -- stored JSON columns, many at a time (a re-costing writes 40,000 line results; it reads them as one JSON
# answer: stock/service.json_rows). On a small object most of json.dumps's time is its fixed cost per call.

_encode = c_make_encoder(None, json.JSONEncoder().default, encode_basestring_ascii, None, ": ", ", ", False, False, True) \
    if c_make_encoder is not None else None


def dump_many(values: list) -> list[str]:
    """``[json.dumps(v) for v in values]``, the same texts, through the C encoder directly (json.dumps sets
    one up per call: 3.5× the time on a small object). No check for cycles: for plain data only."""
    if _encode is None:
        return [json.dumps(v) for v in values]
    join = "".join
    return [join(_encode(v, 0)) for v in values]
