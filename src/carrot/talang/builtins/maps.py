"""Maps: `kv` builds one; `.` (control.py) reads from them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from carrot.talang.registry import STYLE_FRAME, Example, FunctionDef, overload
from carrot.talang.runtime import Frame, PairArg

FAMILY = "maps"


def key_values(frame: Frame, *pairs: PairArg) -> dict[str, Any]:
    """Keys are distinct: the checker refuses a key given twice."""
    return {pair.key: pair.value(frame) for pair in pairs}


FUNCTIONS = (
    FunctionDef(
        name="kv",
        overloads=(overload("(pairs: Pair...) -> Map", key_values, style=STYLE_FRAME),),
        doc='Makes a Map from `(Key value)` pairs (JSON `["Key", value]`); keys keep their '
        "case, values are evaluated.",
        family=FAMILY,
        examples=(
            Example(
                "(kv (Key1 Value1) (Key2 (list Value2 Value3)))",
                {"Key1": "Value1", "Key2": ["Value2", "Value3"]},
            ),
            Example("(kv (Key1 (+ 1 2)))", {"Key1": Decimal(3)}),
            Example("(kv (Key1 Value1) (Key2 Value2 Value3))", error="has 2 values"),
        ),
    ),
)
