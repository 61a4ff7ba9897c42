"""Numbers read from files: a decimal number's syntax, and JSON whose integers are floats."""
from __future__ import annotations

import json
import math
import re

from .files import read_text_capped

# a CSV cell: a decimal number (or nan/inf, refused later as not finite); not Python's float()
# syntax, which also takes "0_05" (= 5.0) and other scripts' digits (hence ASCII: \\d is [0-9])
NUMBER = re.compile(r"[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|nan|inf|infinity)", re.IGNORECASE | re.ASCII)


def to_float(text: str) -> float:
    """A decimal number as files and flags write it (NUMBER), as a float; ValueError if the text
    is not one, or if it is not zero yet no float is as small (1e-400 would read as 0.0)."""
    text = text.strip()
    if not NUMBER.fullmatch(text):
        raise ValueError(f"{shown(text)} is not a number")
    value = float(text)
    if value == 0.0 and any(c in "123456789" for c in text.lower().split("e")[0]):
        raise ValueError(f"{shown(text)} is too small for a float64 (it would be read as 0)")
    return value


def shown(text: str, limit: int = 40) -> str:
    """repr(text), cut to about `limit` characters: an error line never echoes megabytes."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text):,} characters)"


def _json_float(text: str) -> float:
    return to_float(text)


def _no_duplicates(pairs: list) -> dict:
    """A JSON object's keys, each once: a key given twice is a mistake, not the last one's value."""
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        twice = next(k for k in keys if keys.count(k) > 1)
        raise ValueError(f"the key {shown(twice)} appears more than once")
    return dict(pairs)


def _json_int(text: str) -> float:
    """A JSON integer as the float it stands for; ValueError if no float holds it."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the integer {text[:12]}... ({len(text)} digits) is too large for a number")
    return value


def parse_json(text: str):
    """json.loads for numbers from files: integers read as floats (ValueError if one is too large
    for a float, never OverflowError later), a number too small for a float refused (not read
    as 0), a key given twice refused, nesting too deep for the parser a ValueError too."""
    try:
        return json.loads(text, parse_int=_json_int, parse_float=_json_float, object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def read_json_object(path: str, keys: str = "parameter names") -> dict:
    """A JSON file holding one object, e.g. parameter names to nested lists; ValueError naming the file if not."""
    try:
        values = parse_json(read_text_capped(path))
    except OSError as e:
        raise ValueError(f"{path}: cannot read it ({e.strerror or e})") from None
    except ValueError as e:  # JSONDecodeError, UnicodeDecodeError, a huge integer, deep nesting
        raise ValueError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(values, dict):
        raise ValueError(f"{path}: expected a JSON object of {keys}")
    return values


def finite_or_null(value):
    """`value` with every non-finite float (NaN, ±inf) made None, through dicts, lists and tuples."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite_or_null(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_null(v) for v in value]
    return value


def strict_json(value, **kwargs) -> str:
    """JSON that every parser reads (RFC 8259: no NaN, no Infinity). torch_bp's one convention
    for a number that is not finite: null (its text and markdown renderings say which: nan,
    inf or -inf)."""
    return json.dumps(finite_or_null(value), allow_nan=False, **kwargs)

