"""Numbers read from files: a decimal number's syntax, and JSON whose integers are floats."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

# a CSV cell: a decimal number (or nan/inf, refused later as not finite); not Python's float()
# syntax, which also takes "0_05" (= 5.0) and other scripts' digits
NUMBER = re.compile(r"[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|nan|inf|infinity)", re.IGNORECASE)


def _json_int(text: str) -> float:
    """A JSON integer as the float it stands for; ValueError if no float holds it."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the integer {text[:12]}... ({len(text)} digits) is too large for a number")
    return value


def parse_json(text: str):
    """json.loads for numbers from files: integers read as floats (ValueError if one is too large
    for a float, never OverflowError later), nesting too deep for the parser a ValueError too."""
    try:
        return json.loads(text, parse_int=_json_int)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def read_json_object(path: str, keys: str = "parameter names") -> dict:
    """A JSON file holding one object, e.g. parameter names to nested lists; ValueError naming the file if not."""
    try:
        values = parse_json(Path(path).read_text())
    except OSError as e:
        raise ValueError(f"{path}: cannot read it ({e.strerror or e})") from None
    except ValueError as e:  # JSONDecodeError, UnicodeDecodeError, a huge integer, deep nesting
        raise ValueError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(values, dict):
        raise ValueError(f"{path}: expected a JSON object of {keys}")
    return values

