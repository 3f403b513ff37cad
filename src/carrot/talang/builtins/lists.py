"""Lists: `list item head tail drop push append reverse count isEmpty exists every filter
map sort sortByNumber sortByString`.

Lists are never changed in place: every function returns a new list. Block functions run
their block once per item in one child scope, charging the step budget up front.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from carrot.talang.errors import FunctionError
from carrot.talang.registry import STYLE_FRAME, Example, FunctionDef, overload
from carrot.talang.runtime import BlockArg, Frame, items_of, loop_applier
from carrot.talang.types import check_list_length, describe_value, to_value, value_text

FAMILY = "lists"

_CART = {
    "Session": {
        "CartItems": [
            {"Name": "Socks", "Category": "clothes", "Price": Decimal("4.50"), "Quantity": 2},
            {"Name": "Mug", "Category": "kitchen", "Price": Decimal("8.00"), "Quantity": 1},
        ]
    }
}


def make_list(*values: Any) -> list[Any]:
    return list(values)


def item(values: list[Any], index: Decimal) -> Any:
    if index != index.to_integral_value():
        raise FunctionError(f"`item` needs a whole number as index, got {index}", argument=2)
    position = int(index)
    if not 0 <= position < len(values):
        raise FunctionError(
            f"`item`: index {position} is out of bounds for a list of {len(values)} items",
            argument=2,
        )
    return to_value(values[position])


def head(values: list[Any]) -> Any:
    return to_value(values[0]) if values else None


def tail(values: list[Any]) -> list[Any]:
    return values[1:]


def drop(values: list[Any]) -> list[Any]:
    return values[:-1]


def push(values: list[Any], *added: Any) -> list[Any]:
    check_list_length(len(values) + len(added))
    return [*values, *added]


def reverse(values: list[Any]) -> list[Any]:
    return values[::-1]


def count(values: list[Any]) -> Decimal:
    return Decimal(len(values))


def is_empty(values: list[Any]) -> bool:
    return not values


def sort(values: list[Any], descending: bool = False) -> list[Any]:
    """Sorts by each item's text, as the reference does: "10" comes before "9"."""
    items = items_of(values)
    keys = [_text_key("sort", value) for value in items]
    order = sorted(range(len(items)), key=keys.__getitem__, reverse=descending)
    return [items[index] for index in order]


def _text_key(function: str, value: Any) -> str:
    if type(value) is list or type(value) is dict:
        raise FunctionError(f"`{function}` orders single values, not {describe_value(value)}")
    return value_text(value)


def predicate_error(function: str, value: Any) -> FunctionError:
    return FunctionError(
        f"the block of `{function}` must give a Boolean, got {describe_value(value)}"
    )


def exists(frame: Frame, values: list[Any], block: BlockArg) -> bool:
    return _decides(frame, values, block, "exists", True)


def every(frame: Frame, values: list[Any], block: BlockArg) -> bool:
    return _decides(frame, values, block, "every", False)


def _decides(frame: Frame, values: list[Any], block: BlockArg, name: str, deciding: bool) -> bool:
    """Stops at the first item whose block gives `deciding`; every result must be Boolean."""
    apply = loop_applier(frame, values, block)
    for value in values:
        result = apply(value if type(value) is dict else to_value(value))
        if result is not True and result is not False:
            raise predicate_error(name, result)
        if result == deciding:
            return deciding
    return not deciding


def keep(frame: Frame, values: list[Any], block: BlockArg) -> list[Any]:
    apply = loop_applier(frame, values, block)
    kept = []
    for value in values:
        if type(value) is not dict:
            value = to_value(value)
        result = apply(value)
        if result is True:
            kept.append(value)
        elif result is not False:
            raise predicate_error("filter", result)
    return kept


def transform(frame: Frame, values: list[Any], block: BlockArg) -> list[Any]:
    apply = loop_applier(frame, values, block)
    return [apply(value if type(value) is dict else to_value(value)) for value in values]


def _keys(frame: Frame, values: list[Any], block: BlockArg) -> tuple[list[Any], list[Any]]:
    items = items_of(values)
    apply = loop_applier(frame, items, block)
    return items, [apply(item) for item in items]


def sort_by_number(frame: Frame, values: list[Any], block: BlockArg, descending: bool) -> list[Any]:
    items, keys = _keys(frame, values, block)
    for key in keys:
        if type(key) is not Decimal:
            raise FunctionError(
                f"the block of `sortByNumber` must give a Decimal, got {describe_value(key)}"
            )
    order = sorted(range(len(items)), key=keys.__getitem__, reverse=descending)
    return [items[index] for index in order]


def sort_by_string(frame: Frame, values: list[Any], block: BlockArg, descending: bool) -> list[Any]:
    items, keys = _keys(frame, values, block)
    texts = [_text_key("sortByString", key) for key in keys]
    order = sorted(range(len(items)), key=texts.__getitem__, reverse=descending)
    return [items[index] for index in order]


def _block_function(
    name: str, signature: str, impl: Any, doc: str, examples: tuple[Example, ...]
) -> FunctionDef:
    return FunctionDef(
        name=name,
        overloads=(overload(signature, impl, style=STYLE_FRAME),),
        doc=doc,
        family=FAMILY,
        loops=True,
        examples=examples,
    )


def _simple(
    name: str, signature: str, impl: Any, doc: str, examples: tuple[Example, ...]
) -> FunctionDef:
    return FunctionDef(
        name=name, overloads=(overload(signature, impl),), doc=doc, family=FAMILY, examples=examples
    )


FUNCTIONS = (
    _simple(
        "list",
        "(items: Atom...) -> List",
        make_list,
        "Makes a list of single values (use `push` to put lists or maps in a list).",
        (
            Example("(list Hello World)", ["Hello", "World"]),
            Example("(list 1 true Hello)", [Decimal(1), True, "Hello"]),
            Example("(list)", []),
        ),
    ),
    _simple(
        "item",
        "(list: List, index: Decimal) -> Any",
        item,
        "The item at a 0-based index; an index outside the list is an error.",
        (
            Example('(item (list "Hello World" "Hello Universe") 0)', "Hello World"),
            Example("(item (list 1 true Hello) 1)", True),
            Example("(item (list 1 true Hello) 3)", error="out of bounds"),
        ),
    ),
    _simple(
        "head",
        "(list: List) -> Any",
        head,
        "The first item, or Null for an empty list.",
        (Example("(head (list 1 true Hello))", Decimal(1)), Example("(head (list))", None)),
    ),
    _simple(
        "tail",
        "(list: List) -> List",
        tail,
        "The list without its first item.",
        (Example("(tail (list 1 true Hello))", [True, "Hello"]), Example("(tail (list))", [])),
    ),
    _simple(
        "drop",
        "(list: List) -> List",
        drop,
        "The list without its last item.",
        (Example("(drop (list 1 true Hello))", [Decimal(1), True]),),
    ),
    _simple(
        "push",
        "(list: List, item: Atom|Collection, items: Atom|Collection...) -> List",
        push,
        "A new list with the items added at the end.",
        (
            Example("(push (list 1 2) 3 4)", [Decimal(1), Decimal(2), Decimal(3), Decimal(4)]),
            Example("(push (list) (list 1))", [[Decimal(1)]]),
        ),
    ),
    _simple(
        "append",
        "(list: List, item: Atom|Collection, items: Atom|Collection...) -> List",
        push,
        "Same as `push`.",
        (Example('(append (list "Hello World") "Hello Human")', ["Hello World", "Hello Human"]),),
    ),
    _simple(
        "reverse",
        "(list: List) -> List",
        reverse,
        "The list in reverse order.",
        (Example("(reverse (list 1 2 3 4))", [Decimal(4), Decimal(3), Decimal(2), Decimal(1)]),),
    ),
    _simple(
        "count",
        "(list: List) -> Decimal",
        count,
        "The number of items in the list.",
        (Example("(count (list hola hola amigos))", Decimal(3)),),
    ),
    _simple(
        "isEmpty",
        "(list: List) -> Boolean",
        is_empty,
        "True for a list without items.",
        (Example("(isEmpty (list))", True), Example("(isEmpty (list hello world))", False)),
    ),
    FunctionDef(
        name="sort",
        overloads=(
            overload("(list: List) -> List", sort),
            overload("(list: List, descending: Boolean) -> List", sort),
        ),
        doc='Sorts single values by their text (so "10" comes before "9"); `true` '
        "sorts descending.",
        family=FAMILY,
        examples=(
            Example("(sort (list World 2 Hello 1))", [Decimal(1), Decimal(2), "Hello", "World"]),
            Example(
                "(sort (list World 2 Hello 1) true)", ["World", "Hello", Decimal(2), Decimal(1)]
            ),
        ),
    ),
    _block_function(
        "exists",
        "(list: List, block: Block[Boolean]) -> Boolean",
        exists,
        "True when the block is true for at least one item; false for an empty list.",
        (
            Example('(exists (list hello world) Item (= (. Item) "world"))', True),
            Example('(exists (list hello world) ((Item) (= (. Item) "hey!!")))', False),
            Example(
                '(exists (. Session CartItems) Item (= (. Item Category) "kitchen"))',
                True,
                scope=_CART,
            ),
        ),
    ),
    _block_function(
        "every",
        "(list: List, block: Block[Boolean]) -> Boolean",
        every,
        "True when the block is true for every item; true for an empty list.",
        (
            Example("(every (list 1 2 3) x (> (. x) 0))", True),
            Example(
                "(every (. Items) ((x) (= (. x Price) 1)))",
                False,
                scope={"Items": [{"Price": 2}, {"Price": 1}]},
            ),
        ),
    ),
    _block_function(
        "filter",
        "(list: List, block: Block[Boolean]) -> List",
        keep,
        "The items for which the block is true.",
        (
            Example(
                "(filter (list 1 4 7 12 24 48) ((x) (> (. x) 10)))",
                [Decimal(12), Decimal(24), Decimal(48)],
            ),
            Example(
                '(filter (list "Sasquatch" "Front squats" "Caramel") ((x) (contains (. x) "squat")))',
                ["Sasquatch", "Front squats"],
            ),
        ),
    ),
    _block_function(
        "map",
        "(list: List, block: Block[Any]) -> List",
        transform,
        "A new list with the block's value for each item.",
        (
            Example(
                '(map (list "World" "Universe") x (+ "Hello " (. x)))',
                ["Hello World", "Hello Universe"],
            ),
            Example(
                "(map (. Session CartItems) ((Item) (. Item Name)))", ["Socks", "Mug"], scope=_CART
            ),
        ),
    ),
    _block_function(
        "sortByNumber",
        "(list: List, block: Block[Decimal], descending: Boolean) -> List",
        sort_by_number,
        "Sorts by the number the block gives for each item (stable); `true` sorts descending.",
        (
            Example(
                "(sortByNumber (list 2 4 3 1) ((Item) (. Item)) true)",
                [Decimal(4), Decimal(3), Decimal(2), Decimal(1)],
            ),
            Example(
                "(sortByNumber (list 2 4 3 1) ((Item) (. Item)) false)",
                [Decimal(1), Decimal(2), Decimal(3), Decimal(4)],
            ),
        ),
    ),
    _block_function(
        "sortByString",
        "(list: List, block: Block[Atom], descending: Boolean) -> List",
        sort_by_string,
        "Sorts by the text the block gives for each item (stable); `true` sorts descending, "
        "as the reference's tests show (its docs say the opposite).",
        (
            Example(
                '(sortByString (list "b" "a" "z" "t") ((Item) (. Item)) true)', ["z", "t", "b", "a"]
            ),
            Example(
                '(sortByString (list "b" "a" "z" "t") ((Item) (. Item)) false)',
                ["a", "b", "t", "z"],
            ),
        ),
    ),
)
