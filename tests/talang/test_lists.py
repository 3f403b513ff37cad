"""Lists: new lists every time, blocks over items, ordering."""

from __future__ import annotations

from enum import Enum

from tests.talang.helpers import D, error_of, run

CART = {
    "Session": {
        "CartItems": [
            {"SKU": "A", "Category": "shoes", "Price": D("50.00"), "Quantity": 1},
            {"SKU": "B", "Category": "socks", "Price": D("5.00"), "Quantity": 4},
            {"SKU": "C", "Category": "shoes", "Price": D("80.00"), "Quantity": 2},
        ]
    }
}


def test_filter_then_sum_a_category() -> None:
    text = (
        "(sum (filter (. Session CartItems) ((Item) (= (. Item Category) shoes)))"
        " ((Item) (* (. Item Price) (. Item Quantity))))"
    )
    assert run(text, CART) == D("210.00")


def test_map_reads_each_item() -> None:
    assert run("(map (. Session CartItems) i (. i SKU))", CART) == ["A", "B", "C"]


def test_exists_and_every() -> None:
    assert run("(exists (. Session CartItems) i (> (. i Quantity) 3))", CART) is True
    assert run("(every (. Session CartItems) i (> (. i Price) 1))", CART) is True
    assert run("(every (list) i false)") is True
    assert run("(exists (list) i true)") is False


def test_membership_of_a_code() -> None:
    scope = {"Session": {"CouponCodes": ["WELCOME", "SUMMER10"]}}
    text = '(exists (. Session CouponCodes) c (= (. c) "SUMMER10"))'
    assert run(text, scope) is True
    assert run(text, {"Session": {"CouponCodes": []}}) is False
    assert run(text, {"Session": {"CouponCodes": [1, "SUMMER10"]}}) is True
    assert run('(exists (. L) c (= (. c) "10"))', {"L": [10]}) is True


def test_membership_reads_either_way_round_and_for_every() -> None:
    codes = {"Codes": ["A", "B", "A"]}
    assert run('(exists (. Codes) c (= "B" (. c)))', codes) is True
    assert run('(exists (. Codes) c (!= (. c) "A"))', codes) is True
    assert run('(every (. Codes) c (= (. c) "A"))', codes) is False
    assert run('(every (. Codes) c (!= "C" (. c)))', codes) is True
    assert run('(every (. Codes) c (= "A" (. c)))', {"Codes": []}) is True


def test_membership_compares_like_equals_whatever_the_items() -> None:
    class Tier(str, Enum):  # noqa: UP042 (its text, "Tier.GOLD", is not its value)
        GOLD = "gold"

    assert run('(exists (. L) c (= (. c) "true"))', {"L": ["x", True]}) is True
    assert run('(exists (. L) c (= "10" (. c)))', {"L": ["x", D("10.0")]}) is False
    assert run('(every (. L) c (= (. c) "10"))', {"L": ["10", 10]}) is True
    assert run('(exists (. L) c (= (. c) "gold"))', {"L": [Tier.GOLD]}) is False
    assert run('(exists (. L) c (= (. c) "Tier.GOLD"))', {"L": [Tier.GOLD]}) is True


def test_membership_errors_match_the_general_rule() -> None:
    text = '(exists (. L) c (= (. c) "X"))'
    first = error_of(text, {"L": ["A", None, "X"]})
    assert (first.message, first.path) == ("`c` is not set", "$[3][1]")
    second = error_of(text, {"L": [["X"]]})
    assert second.path == "$[3][1]"
    third = error_of(text, {"L": "X"})
    assert third.message == '`exists` argument 1 must be a List, got the String "X"'


def test_a_block_variable_hides_a_binding_of_the_same_name() -> None:
    assert run("(map (list 1 2) Session (. Session))", CART) == [D(1), D(2)]


def test_blocks_can_read_outer_bindings() -> None:
    text = "(filter (. Session CartItems) i (> (. i Price) (. Threshold)))"
    assert run(text, {**CART, "Threshold": 60})[0]["SKU"] == "C"


def test_nested_blocks() -> None:
    text = "(map (list 1 2) a (map (list 10 20) b (+ (. a) (. b))))"
    assert run(text) == [[D(11), D(21)], [D(12), D(22)]]


def test_list_functions_return_new_lists() -> None:
    scope = {"L": [1, 2, 3]}
    assert run("(reverse (. L))", scope) == [D(3), D(2), D(1)]
    assert run("(tail (. L))", scope) == [D(2), D(3)]
    assert run("(drop (. L))", scope) == [D(1), D(2)]
    assert run("(head (. L))", scope) == D(1)
    assert run("(count (. L))", scope) == D(3)
    assert scope == {"L": [1, 2, 3]}


def test_sort_by_text_and_by_number() -> None:
    assert run("(sort (list 10 9 100))") == [D(10), D(100), D(9)]
    assert run("(sortByNumber (list 10 9 100) x (. x) false)") == [D(9), D(10), D(100)]


def test_sorting_by_a_key_is_stable() -> None:
    text = "(map (sortByNumber (. Session CartItems) ((i) (. i Quantity)) true) i (. i SKU))"
    assert run(text, CART) == ["B", "C", "A"]
    text = "(map (sortByString (. Session CartItems) ((i) (. i Category)) false) i (. i SKU))"
    assert run(text, CART) == ["A", "C", "B"]


def test_push_can_nest_lists() -> None:
    assert run("(push (list) (list 1) (kv (a 1)))") == [[D(1)], {"a": D(1)}]


def test_list_length_is_bounded() -> None:
    error = error_of("(push (. L) 1)", {"L": [0] * 100_000})
    assert error.message == "the list would have 100001 items; the limit is 100000"
