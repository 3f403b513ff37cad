"""`TextList`: a list of Strings the host declares once. It is refused unless every item is
exactly a str; Talang treats it exactly as the plain list of the same Strings (every
function, path read, error and result, compiled or walked); and membership over it is
answered by a C-level `in`/`count` that gives what the general loop gives."""

from __future__ import annotations

import copy
import itertools
import pickle
from collections import UserString
from collections.abc import Callable
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import carrot.talang
from carrot.talang import Limits, TalangError, TextList, compile_expr, explain, parse_text
from carrot.talang.shapes import _Source
from carrot.talang.types import MAX_LIST_LENGTH, kind_of, to_plain, to_value
from carrot.talang.walker import Walker
from tests.talang.helpers import outcome, same_outcome, walked

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Colour(str, Enum):  # noqa: UP042 (its text, "Colour.RED", is not its value)
    RED = "red"


class Size(StrEnum):
    SMALL = "s"


class Code(str):
    pass


# ---- construction ----------------------------------------------------------------------


def test_it_holds_exact_strs_as_an_immutable_tuple() -> None:
    codes = TextList(["WELCOME", "SUMMER10"])
    assert isinstance(codes, tuple)
    assert codes == ("WELCOME", "SUMMER10")
    assert TextList() == () and TextList([]) == ()
    assert TextList(code for code in ("a", "b")) == ("a", "b")  # any iterable, read once
    assert TextList("ab") == ("a", "b")  # a str is an iterable of strs, as for list()
    assert repr(codes) == "TextList(['WELCOME', 'SUMMER10'])"
    with pytest.raises(TypeError):
        codes[0] = "x"  # type: ignore[index]
    with pytest.raises(AttributeError):
        codes.extra = 1  # type: ignore[attr-defined]
    assert carrot.talang.TextList is TextList and "TextList" in carrot.talang.__all__


@pytest.mark.parametrize(
    ("item", "name"),
    [
        (1, "int"),
        (Decimal("10"), "Decimal"),
        (None, "NoneType"),
        (True, "bool"),
        (b"a", "bytes"),
        (["a"], "list"),
        (TextList(["a"]), "TextList"),
        (Colour.RED, "Colour"),  # a str whose text is "Colour.RED"
        (Size.SMALL, "Size"),
        (Code("a"), "Code"),
        (UserString("a"), "UserString"),
    ],
)
def test_anything_but_an_exact_str_is_refused(item: Any, name: str) -> None:
    with pytest.raises(TypeError, match=f"item 1 is a {name}$"):
        TextList(["a", item, "b"])


def test_more_items_than_a_list_may_have_are_refused() -> None:
    assert len(TextList(["a"] * MAX_LIST_LENGTH)) == MAX_LIST_LENGTH
    with pytest.raises(ValueError, match="at most 100000 items"):
        TextList(["a"] * (MAX_LIST_LENGTH + 1))


def test_copies_are_text_lists_checked_again() -> None:
    codes = TextList(["a", "b"])
    for again in (copy.copy(codes), copy.deepcopy(codes), pickle.loads(pickle.dumps(codes))):
        assert type(again) is TextList and again == codes
    assert type(codes[:1]) is tuple  # a slice is a plain tuple, as for any tuple subclass


def test_it_reads_as_the_plain_list() -> None:
    codes = TextList(["a", "b"])
    assert type(to_value(codes)) is list and to_value(codes) == ["a", "b"]
    assert to_plain({"C": [codes]}) == {"C": [["a", "b"]]}
    assert type(to_plain(codes)) is list
    assert kind_of(codes) == kind_of(["a", "b"])


# ---- the same as the plain list, everywhere ----------------------------------------------

LISTS = {
    "two keys": "(. Session Codes)",
    "one key": "(. Codes)",
    "three keys": "(. A B Codes)",
}
TEMPLATES = [
    "{L}",
    "(. Session)",
    "(push {L} x)",
    "(append {L} x y)",
    "(push {L} {L})",
    "(push (list) {L})",
    "(tail (push (list 1) {L} {L}))",
    "(map (push (list) {L}) x (. x))",
    "(reverse {L})",
    "(sort {L})",
    "(sort {L} true)",
    "(tail {L})",
    "(drop {L})",
    "(head {L})",
    "(item {L} 0)",
    "(item {L} 1)",
    "(count {L})",
    "(isEmpty {L})",
    "(join {L} -)",
    "(sum {L})",
    "(max {L})",
    "(= {L} {L})",
    '(= {L} "")',
    "(+ {L} 1)",
    "(contains {L} a)",
    "(map {L} c (+ (. c) !))",
    "(filter {L} c (= (. c) {C}))",
    "(filter {L} c (!= {C} (. c)))",
    "(filter {L} c (startsWith (. c) S))",
    "(sum {L} c (count (split (. c) ;)))",
    "(sortByString {L} c (. c) false)",
    "(sortByString {L} c (. c) true)",
    "(sortByNumber {L} c (count (split (. c) ;)) true)",
    "(sortByNumber {L} c (. c) false)",
    "(exists {L} c (= (. c) {C}))",
    "(exists {L} c (= {C} (. c)))",
    "(exists {L} c (!= (. c) {C}))",
    "(exists {L} c (!= {C} (. c)))",
    "(every {L} c (= (. c) {C}))",
    "(every {L} c (= {C} (. c)))",
    "(every {L} c (!= (. c) {C}))",
    "(every {L} c (!= {C} (. c)))",
    "(not (exists {L} c (= (. c) {C})))",
    "(or (= 1 2) (every {L} c (!= {C} (. c))))",
    "(exists {L} c (and (= (. c) {C}) true))",
    "(exists (tail {L}) c (= (. c) {C}))",
    "(exists {L} c (exists {L} d (= (. d) (. c))))",
    "(.| (list) {L})",
    "(catch (list) (item {L} 5))",
    "(do {L} x (count (. x)))",
    "(kv (K {L}))",
    "((set X {L}) (push (. X) (count (. X))))",
]
TEXTS = ["SUMMER10", "WELCOME", "10", "1.0", "true", "", "red", "Colour.RED", "s", "S;x", "a"]
TEXT_LISTS = st.lists(st.one_of(st.sampled_from(TEXTS), st.text(max_size=5)), max_size=6)


def scope_of(codes: Any) -> dict[str, Any]:
    return {"Session": {"Codes": codes, "Total": 1}, "Codes": codes, "A": {"B": {"Codes": codes}}}


def expression(template: str, source: str, constant: str) -> str:
    return template.format(L=source, C=f'"{constant}"' if constant else '""')


def assert_like_the_list(text: str, codes: list[str], **options: Any) -> None:
    """Compiled and walked, with a TextList and with the list: four equal outcomes."""
    expr = parse_text(text)
    declared, plain = scope_of(TextList(codes)), scope_of(list(codes))
    reference = walked(expr, plain, **options)
    for result in (
        outcome(expr, declared, **options),
        walked(expr, declared, **options),
        outcome(expr, plain, **options),
    ):
        assert same_outcome(result, reference), (text, codes, options, result, reference)


@SETTINGS
@given(
    st.sampled_from(TEMPLATES),
    st.sampled_from(list(LISTS.values())),
    TEXT_LISTS,
    st.one_of(st.sampled_from(TEXTS), st.text(max_size=5)),
    st.sampled_from([None, 0, 3, 10, 1000]),
)
def test_every_function_gives_what_it_gives_for_the_list(
    template: str, source: str, codes: list[str], constant: str, steps: int | None
) -> None:
    if '"' in constant or "\\" in constant:
        constant = "x"
    options = {} if steps is None else {"max_steps": steps}
    assert_like_the_list(expression(template, source, constant), codes, **options)


@pytest.mark.parametrize("template", TEMPLATES)
def test_each_template_on_fixed_lists(template: str) -> None:
    for source, codes, constant in itertools.product(
        LISTS.values(),
        [[], ["SUMMER10"], ["WELCOME", "SUMMER10", "10"], ["10", "true", "", "s"], ["S;x"] * 3],
        ["SUMMER10", "10", ""],
    ):
        assert_like_the_list(expression(template, source, constant), codes)


def test_a_nested_text_list_reads_as_a_nested_list() -> None:
    inner = TextList(["a", "b"])
    for text in ("(. Rows)", "(item (. Rows) 0)", "(map (. Rows) r (count (. r)))", "(. M)"):
        declared = {"Rows": [inner, inner], "M": {"K": inner}}
        plain = {"Rows": [["a", "b"], ["a", "b"]], "M": {"K": ["a", "b"]}}
        result = outcome(text, declared)
        assert same_outcome(result, outcome(text, plain)), text
        assert same_outcome(walked(text, declared), result), text


def test_explain_says_the_same_as_for_the_list() -> None:
    condition = compile_expr(
        parse_text('(and (> (. Session Total) 0) (exists (. Session Codes) c (= (. c) "X")))')
    )
    declared = explain(condition, scope_of(TextList(["A", "B"])))
    plain = explain(condition, scope_of(["A", "B"]))
    assert (declared.holds, declared.failed_index, declared.reason, declared.values) == (
        plain.holds,
        plain.failed_index,
        plain.reason,
        plain.values,
    )
    assert declared.holds is False and declared.failed_index == 1


# ---- membership: the fast path pinned against the general one ---------------------------

MEMBERSHIPS = [
    f"({loop} (. Session Codes) c ({test} {'{C} (. c)' if first else '(. c) {C}'}))"
    for loop, test, first in itertools.product(["exists", "every"], ["=", "!="], [False, True])
]
CODE_LISTS = [
    [],
    ["SUMMER10"],
    ["WELCOME"],
    ["WELCOME", "SUMMER10"],
    ["SUMMER10", "SUMMER10"],
    ["10", "true", "", "1.0", "Colour.RED", "s"],
]


def general(text: str, scope: dict[str, Any]) -> Any:
    """The answer without the fast path: with a budget of its own the evaluation runs the
    general closures on a frame, where the list is read, normalised and looped over."""
    return outcome(text, scope, max_steps=1_000_000)


@pytest.mark.parametrize("template", MEMBERSHIPS)
def test_membership_over_a_text_list_is_answered_without_a_loop(template: str) -> None:
    for codes, constant in itertools.product(CODE_LISTS, ["SUMMER10", "10", "", "true", "x"]):
        text = expression(template, "", constant)
        scope = scope_of(TextList(codes))
        for shape in (text, f"(not {text})"):
            expected = general(shape, scope)
            assert same_outcome(expected, walked(shape, scope))
            assert same_outcome(expected, general(shape, scope_of(codes)))
            # The fast path never reads the list through `_Source` (the general loop does).
            with mock.patch.object(_Source, "values", side_effect=AssertionError("looped")):
                assert same_outcome(outcome(shape, scope), expected), (shape, codes)


def test_the_root_of_a_membership_is_its_own_evaluate() -> None:
    for template in MEMBERSHIPS:
        compiled = compile_expr(parse_text(expression(template, "", "SUMMER10")))
        assert getattr(compiled.evaluate, "__name__", None) == "membership", template


def test_only_the_exact_type_takes_the_fast_path() -> None:
    # A tuple (or a list) of the same Strings gives the same answers the general way.
    for template, codes in itertools.product(MEMBERSHIPS, CODE_LISTS):
        text = expression(template, "", "SUMMER10")
        expected = outcome(text, scope_of(TextList(codes)))
        for other in (tuple(codes), list(codes)):
            assert same_outcome(outcome(text, scope_of(other)), expected), (text, other)


def per_loop(expr: Any, scope: dict[str, Any], limits: Limits) -> tuple[Any, Any]:
    """(compiled, walked) outcome under these limits: each loop checked on its own against
    them when compiled, one budget for the whole walk (the same for a single loop)."""
    results: list[tuple[Any, ...]] = []
    runs: list[Callable[[], Any]] = [
        lambda: compile_expr(expr, limits=limits).evaluate(scope),
        lambda: Walker(limits=limits).evaluate(expr, scope),
    ]
    for evaluate in runs:
        try:
            results.append(("value", evaluate()))
        except TalangError as error:
            results.append(("error", type(error).__name__, error.message, error.path))
    return results[0], results[1]


@pytest.mark.parametrize("steps", [0, 1, 4, 5, 8, 9, 12, 13, 100])
def test_a_text_list_spends_the_step_budget_as_the_list(steps: int) -> None:
    # With a small budget per loop (Limits) a long TextList is too long for the fast path;
    # with a budget per evaluation (max_steps) the loop is charged as any other.
    for template, codes in itertools.product(MEMBERSHIPS, CODE_LISTS):
        text = parse_text(expression(template, "", "SUMMER10"))
        limits = Limits(max_steps=steps)
        for wrapped in (text, ["not", text]):
            declared = per_loop(wrapped, scope_of(TextList(codes)), limits)
            plain = per_loop(wrapped, scope_of(codes), limits)
            assert declared[0] == declared[1] == plain[0] == plain[1], (wrapped, codes, steps)
        assert_like_the_list(expression(template, "", "x"), codes, max_steps=steps)
