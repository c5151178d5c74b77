"""JSON reading that never makes a float, and the canonical text used to compare documents."""
import json

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
