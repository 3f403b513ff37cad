"""Evaluation is bounded: a step budget, growth limits, nothing recovers from the budget."""

from __future__ import annotations

import pytest

from carrot.talang import Limits, StepLimitError, compile_expr, parse_text
from tests.talang.helpers import D, error_of, run

NESTED = "(count (filter (. L) a (exists (. L) b (exists (. L) c (= (. c) -1)))))"


def test_a_large_nested_iteration_runs_out_of_steps() -> None:
    scope = {"L": list(range(300))}
    error = error_of(NESTED, scope)
    assert error.message == (
        "the evaluation needs more than 1000000 steps; it works through too many items"
    )
    assert error.path == "$[1][3][3]"  # the innermost `exists` finds the budget spent
    with pytest.raises(StepLimitError):
        compile_expr(parse_text(NESTED)).evaluate(scope)


def test_the_same_iteration_fits_a_small_list() -> None:
    assert run(NESTED, {"L": list(range(10))}) == D(0)


def test_catch_does_not_recover_from_the_step_limit() -> None:
    with pytest.raises(StepLimitError):
        compile_expr(parse_text(f"(catch 0 {NESTED})")).evaluate({"L": list(range(300))})
    with pytest.raises(StepLimitError):
        compile_expr(parse_text(f".| 0 {NESTED}")).evaluate({"L": list(range(300))})


def test_the_budget_can_be_set_per_evaluation_and_per_compilation() -> None:
    text = "(map (. L) x (. x))"
    compiled = compile_expr(parse_text(text))
    assert compiled.evaluate({"L": [1, 2, 3]}, max_steps=6) == [D(1), D(2), D(3)]
    with pytest.raises(StepLimitError):
        compiled.evaluate({"L": [1, 2, 3]}, max_steps=5)
    small = compile_expr(parse_text(text), limits=Limits(max_steps=2))
    with pytest.raises(StepLimitError):
        small.evaluate({"L": [1, 2, 3]})
    assert "needs more than 5 steps" in error_of(text, {"L": [1, 2, 3]}, max_steps=5).message


def test_doubling_a_string_hits_the_size_limit() -> None:
    doubling = " ".join(["(set S (+ (. S) (. S)))"] * 25)
    error = error_of(f"((set S x) {doubling} (. S))")
    assert error.message.startswith("the string would be")


def test_template_expansions_are_charged() -> None:
    text = '((setTemplate "big()Decimal" (sum (list 1 2 3))) (! big))'
    compiled = compile_expr(parse_text(text))
    assert compiled.evaluate() == D(6)
    with pytest.raises(StepLimitError):
        compiled.evaluate(max_steps=3)


def test_without_nested_loops_each_loop_is_checked_on_its_own() -> None:
    two_loops = compile_expr(parse_text("(+ (count (map (. L) x 1)) (count (map (. L) x 1)))"))
    scope = {"L": list(range(600_000))}
    assert two_loops.evaluate(scope) == D(1_200_000)
    with pytest.raises(StepLimitError):
        two_loops.evaluate(scope, max_steps=1_000_000)
    with pytest.raises(StepLimitError):
        compile_expr(parse_text("(map (. L) x 1)")).evaluate({"L": list(range(1_000_001))})


def test_fused_loops_charge_like_the_loops_they_replace() -> None:
    text = "(sum (filter (. Items) ((i) (= (. i Cat) a))) ((i) (* (. i Price) (. i Qty))))"
    items = [{"Cat": "a", "Price": 1, "Qty": 2}] * 10
    compiled = compile_expr(parse_text(text))
    assert compiled.evaluate({"Items": items}) == D(20)
    # the filter costs 10 items x 5 nodes, the sum 10 items x 7 nodes
    assert compiled.evaluate({"Items": items}, max_steps=120) == D(20)
    assert run(text, {"Items": items}, max_steps=120) == D(20)
    for steps, path in ((119, "$"), (49, "$[1]")):
        with pytest.raises(StepLimitError) as caught:
            compiled.evaluate({"Items": items}, max_steps=steps)
        assert caught.value.path == path
        assert error_of(text, {"Items": items}, max_steps=steps).path == path
