"""docs/talang.md is generated from the registry and every documented example holds."""

from __future__ import annotations

import pytest

from carrot.talang import Example, FunctionDef, default_registry
from carrot.talang.builtins import FAMILIES
from carrot.talang.docs import DOCS_PATH, render
from tests.talang.helpers import error_of, run, strictly_equal

EXAMPLES = [(f, e) for f in default_registry() for e in f.examples]


def test_the_reference_is_up_to_date() -> None:
    assert DOCS_PATH.read_text(encoding="utf-8") == render(), (
        "docs/talang.md is stale; run `python -m carrot.talang.docs`"
    )


def test_every_function_is_documented_with_examples() -> None:
    documented = render()
    for function in default_registry():
        assert f"#### `{function.name}`" in documented
        assert function.doc
        assert function.examples, f"`{function.name}` has no example"


def test_every_builtin_sits_in_exactly_one_family() -> None:
    names = [f.name.lower() for family in FAMILIES for f in family.FUNCTIONS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(("function", "example"), EXAMPLES, ids=[e.text for _, e in EXAMPLES])
def test_documented_example(function: FunctionDef, example: Example) -> None:
    if example.error is not None:
        assert example.error in error_of(example.text, example.scope, now=example.now).message
    else:
        assert strictly_equal(run(example.text, example.scope, now=example.now), example.result)
