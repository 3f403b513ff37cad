"""Conformance with talon-one/talang: the cases of its test files (talang.md §6) and the
examples of its docs/functions.md, with the results its tests and code give where the docs
are wrong (talang.md §5). Every case runs through both evaluators."""

from __future__ import annotations

from typing import Any

import pytest

from carrot.talang import FunctionError, default_registry, host_function
from tests.talang.helpers import D, error_of, run, strictly_equal, utc


def _panic() -> None:
    raise FunctionError("panic")


REGISTRY = default_registry().extend(
    host_function("panic", "() -> Any", _panic, doc="Always fails (test helper).")
)
ERROR = object()

# (number in talang.md §6, expression, binding, expected)
TABLE: list[tuple[int, str, Any, Any]] = [
    (1, "(= 1 1)", None, True),
    (2, "(= 2006-01-02T15:04:05Z 2006-01-02T15:04:05Z)", None, True),
    (3, '(= 1 "1")', None, True),
    (4, '(= "Hello" "Hello" "Bye")', None, False),
    (5, "(= 1)", None, ERROR),
    (6, '(!= 1 "1")', None, False),
    (7, '(!= "Hello" "Bye")', None, True),
    (8, '(!= "Hello" "Hello" "Bye")', None, False),
    (9, "(> 1 1)", None, False),
    (10, "(> 2008-01-02T15:04:05Z 2007-01-02T15:04:05Z)", None, True),
    (11, "(< 2007-01-02T15:04:05Z 2007-01-02T15:04:05Z)", None, False),
    (12, "(>= 1 1)", None, True),
    (13, "(<= 2 1)", None, False),
    (14, "(between 1 2 0 3)", None, True),
    (15, "(between 0 0 2)", None, False),
    (16, "(between 1 4 0 3)", None, False),
    (17, "(between 2007-01-02T00:00:00Z 2006-01-02T00:00:00Z 2009-01-02T00:00:00Z)", None, True),
    (18, "(between 2008-01-02T00:00:00Z 2006-01-02T00:00:00Z 2008-01-02T00:00:00Z)", None, False),
    (19, "or false false false true false", None, True),
    (20, "or (. List True) false", {"List": {"True": True, "False": False}}, True),
    (21, "or (> 2 2) false true", None, True),
    (22, "or (+ 2 2)", None, ERROR),
    (23, "or (list 1 2 3)", None, True),
    (24, 'or (map (list "World" "Universe") ((x) (+ "Hello " (. x))))', None, True),
    (25, "and (. List True) true", {"List": {"True": True, "False": False}}, True),
    (26, "and (> 1 1)", None, False),
    (27, "and (+ 2 2)", None, ERROR),
    (28, "and (list 1 2 3) false", None, False),
    (29, "and", None, True),
    (30, "+ 1", None, ERROR),
    (31, "+ 1.2 3.4", None, D("4.6")),
    (32, "+ 1.2 3.4 -5.6", None, D(-1)),
    (33, "- 1.2 3.4 -5.6", None, D("3.4")),
    (34, "* 1.2 3.4 -5.6", None, D("-22.848")),
    (35, "/ 1 2", None, D("0.5")),
    (36, "/ 1.2 3.4", None, D("0.3529411764705882")),
    (37, "/ 1.2 3.4 -5.6", None, D("-0.06302521008403361")),
    (38, "mod 2 1", None, D(0)),
    (39, "mod 4 3 2", None, D(1)),
    (40, "floor 2.5", None, D(2)),
    (41, "floor -2.7", None, D(-3)),
    (42, "ceil 2.4", None, D(3)),
    (43, "ceil -2.7", None, D(-2)),
    (46, "1", None, D(1)),
    (47, '(+ "2" 2)', None, ERROR),
    (48, "((set Integer 2) (+ (. Integer) 1))", None, D(3)),
    (49, "FN Hello World", None, ERROR),
    (52, '+ "Hello World" " and " Universe', None, "Hello World and Universe"),
    (53, 'contains "Hello"', None, ERROR),
    (54, 'contains "Hello World" Universe', None, False),
    (55, 'contains "Hello World" Hello Universe', None, False),
    (56, 'contains "Hello World" Hello World', None, True),
    (57, 'notContains "Hello World" Universe', None, True),
    (58, 'notContains "Hello World" Hello Universe', None, False),
    (59, 'startsWith "Hello World" Hello Hell', None, True),
    (60, 'startsWith "Hello World" Hello Bye', None, False),
    (61, 'endsWith "Hello World" World ld', None, True),
    (62, "~ [a foo", None, ERROR),
    (63, "~ ^foo foobar", None, True),
    (64, "~ ^foo$ foobar", None, False),
    (65, '~ "^Hello\\s\\w+" "Hello World" "Hello Universe"', None, True),
    (66, 'lastName "Hello Mr Mock"', None, "Mock"),
    (67, "list Hello World", None, ["Hello", "World"]),
    (68, "head (. List)", {"List": []}, None),
    (69, "tail (. List)", {"List": ["Hello"]}, []),
    (70, "drop (. List)", {"List": ["Hello", "World"]}, ["Hello"]),
    (71, "item (. List) 1", {"List": ["Hello", "World"]}, "World"),
    (72, "item (. List) -1", {"List": ["Hello", "World"]}, ERROR),
    (73, "item (. List) 2", {"List": ["Hello", "World"]}, ERROR),
    (74, "item (. List) A", {"List": ["Hello", "World"]}, ERROR),
    (
        75,
        "push (. List) and Universe",
        {"List": ["Hello", "World"]},
        ["Hello", "World", "and", "Universe"],
    ),
    (
        76,
        'map (. List) x (+ (. x Name) " " (. x Surname))',
        {"List": [{"Name": "Joe", "Surname": "Doe"}, {"Name": "Alice", "Surname": "Wonder"}]},
        ["Joe Doe", "Alice Wonder"],
    ),
    (77, "map (list 1 2 3) (4)", None, ERROR),
    (78, "sort (. List)", {"List": ["World", 2, "Hello", 1]}, [D(1), D(2), "Hello", "World"]),
    (79, "sort (. List) true", {"List": ["World", 2, "Hello", 1]}, ["World", "Hello", D(2), D(1)]),
    (80, "min (list 100 4 3 10 6000 Hello 90 99)", None, D(3)),
    (81, "max (list Hello World)", None, ERROR),
    (82, "count (list hola hola amigos)", None, D(3)),
    (83, "reverse (list 1 2 3 4)", None, [D(4), D(3), D(2), D(1)]),
    (84, "join (list lo        l) -", None, "lo-l"),
    (85, "join (list 1 2 3) -", None, ERROR),
    (86, 'join (list "1" "2" "3") -', None, "1-2-3"),
    (87, 'split "1,2,3,a" ","', None, ["1", "2", "3", "a"]),
    (88, "isEmpty (list)", None, True),
    (89, 'exists (list hello world) Item (= (. Item) "world")', None, True),
    (90, 'exists (list hello world) Item (+ (. Item) "world")', None, ERROR),
    (91, 'exists (list hello world) ((Item) (= (. Item) "hello"))', None, True),
    (92, "sum (. List) Item (. Item Price)", {"List": [{"Price": 2}, {"Price": 2}]}, D(4)),
    (93, "sum (. List) Item (. Item Price)", {"List": [{"Price": "Hey"}]}, ERROR),
    (
        94,
        "every (. List) Item (= (. Item Price) 1)",
        {"List": [{"Price": 2}, {"Price": 1}]},
        False,
    ),
    (
        95,
        'every (. List) ((Item) (= (. Item SKU) "XJK_992"))',
        {"List": [{"SKU": "XJK_992"}, {"SKU": "XJK_992"}]},
        True,
    ),
    (96, "sortByNumber (list 2 4 3 1) ((Item) (. Item)) true", None, [D(4), D(3), D(2), D(1)]),
    (97, 'sortByString (list "b" "a" "z" "t") ((Item) (. Item)) false', None, ["a", "b", "t", "z"]),
    (98, 'sortByString (list "b" "a" "z" "t") ((Item) (. Item)) true', None, ["z", "t", "b", "a"]),
    (
        99,
        "kv (Key1 Value1) (Key2 (list Value2 Value3))",
        None,
        {"Key1": "Value1", "Key2": ["Value2", "Value3"]},
    ),
    (100, "kv (Key1 Value1) (Key2 Value2 Value3)", None, ERROR),
    (101, "kv (Key1 (+ 1 2))", None, {"Key1": D(3)}),
    (102, "(noop)", None, None),
    (103, "not (not false)", None, False),
    (104, "catch 22 (panic)", None, D(22)),
    (105, "catch 22 2", None, D(2)),
    (106, 'catch "22" (. Profile)', None, "22"),
    (107, "(catch (+ 2 (* 5 (- 3 4))) (+ 2 ( * 4 (panic))))", None, D(-3)),
    (108, "do 4 (x (panic))", None, ERROR),
    (109, ".| boo (. Meh)", {"List": "XJK_992"}, "boo"),
    (110, ".| 2 (. List SKU)", {"List": {"SKU": "asda"}}, ERROR),
    (
        111,
        "betweenTimes 2006-01-02T19:04:05Z 2006-01-01T15:04:05Z 2006-01-03T19:04:05Z",
        None,
        True,
    ),
    (112, 'parseTime "-42"', None, ERROR),
    (113, "date 2018-01-02T19:04:05Z", None, "2018-01-02"),
    (114, "weekDay 2018-03-11T19:04:05Z", None, "0"),
    (115, "hour 2018-03-11T04:04:05Z", None, "4"),
    (116, "formatTime 2018-03-11T19:04:05Z", None, "2018-03-11T19:04:05Z"),
    (117, 'addDuration 2018-03-14T02:04:05Z 5 "days"', None, utc(2018, 3, 19, 2, 4, 5)),
    (118, 'subDuration 2018-03-14T02:04:05Z 5 "eons"', None, ERROR),
    (
        119,
        '((setTemplate "plus(Decimal, Decimal)Decimal" (+ (# 0) (# 1))) (! plus 1 2))',
        None,
        D(3),
    ),
]


@pytest.mark.parametrize(
    ("number", "text", "scope", "expected"), TABLE, ids=[str(row[0]) for row in TABLE]
)
def test_reference_test_case(number: int, text: str, scope: Any, expected: Any) -> None:
    if expected is ERROR:
        error_of(text, scope, REGISTRY)
    else:
        assert strictly_equal(run(text, scope, REGISTRY), expected)


@pytest.mark.parametrize(
    ("text", "digits"), [("(/ (+ 1 2) 3)", "1"), ("(/ (- 6 1) 2)", "2.5"), ("1", "1")]
)
def test_decimal_text_matches_reference(text: str, digits: str) -> None:
    # Cases 44-46: the reference compares the decimal's text.
    assert str(run(text)) == digits


def test_a_binding_set_in_a_child_scope_stays_there() -> None:
    # Case 50: the child sees its own value, the parent keeps the root value.
    child = "(do 1 x ((set RootKey true) (. RootKey)))"
    assert run(child, {"RootKey": "Root"}) is True
    assert run(f"({child} (. RootKey))", {"RootKey": "Root"}) == "Root"


def test_the_parent_never_sees_a_childs_binding() -> None:
    # Case 51.
    error = error_of("((do 1 x (set ScopeKey 1)) (. ScopeKey))")
    assert error.message == "`ScopeKey` is not set"


def test_push_leaves_the_original_list_unchanged() -> None:
    # Case 75, second half.
    scope = {"List": ["Hello", "World"]}
    assert run("((set Longer (push (. List) and Universe)) (. List))", scope) == ["Hello", "World"]
    assert scope == {"List": ["Hello", "World"]}


def test_templates_are_reevaluated_with_fresh_arguments() -> None:
    # Case 120: the Go implementation mutated stored templates; a clean one gives 5, then 9.
    define = '(setTemplate "MultiplyWith2(Decimal)Decimal" (* 2 (# 0)))'
    assert run(f"({define} (+ 1 (! MultiplyWith2 2)) )") == D(5)
    assert run(f"({define} (+ 1 (! MultiplyWith2 2)) (+ 1 (! MultiplyWith2 4)))") == D(9)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("+1", D(1)),
        (".1", D("0.1")),
        ("1.", D(1)),
        ("-.1", D("-0.1")),
        ("1.2.3", "1.2.3"),
        ("1+2", "1+2"),
        ("e1", "e1"),
        ("1e2", "1e2"),
        ("--1", "--1"),
        ("-", "-"),
        ("TRUE", True),
        ("Hello", "Hello"),
        ("null", "null"),
    ],
)
def test_unquoted_words_are_typed_like_the_reference_lexer(word: str, expected: Any) -> None:
    assert strictly_equal(run(f"(head (list {word}))"), expected)


# docs/functions.md of the reference; the comment says where its docs are wrong.
DOCUMENTED: list[tuple[str, Any, Any]] = [
    ("(!= 1 1)", None, False),
    ('(!= "Hello World" "Hello World")', None, False),
    ("(!= true true)", None, False),
    ("(!= 2006-01-02T15:04:05Z 2006-01-02T15:04:05Z)", None, False),
    ("(* 1 2)", None, D(2)),
    ("(* 1 2 3)", None, D(6)),
    ('(+ "Hello" " " "World")', None, "Hello World"),
    ('(+ "Hello" " " (toString (+ 1 2)))', None, "Hello 3"),
    ("(+ 1 1)", None, D(2)),
    ("(+ 1 2 3)", None, D(6)),
    ("(- 1 1)", None, D(0)),
    ("(- 1 2 3)", None, D(-4)),
    ("(. Key1)", {"Key1": "data"}, "data"),
    ("(. Key2 SubKey1)", {"Key2": {"SubKey1": 5}}, D(5)),
    (".| boo (. List)", {"List": "XJK_992"}, "XJK_992"),
    (".| boo (. Meh)", None, "boo"),
    ("(/ 1 2)", None, D("0.5")),
    ("(/ 1 2 3)", None, D("0.1666666666666667")),  # docs: 0.166666
    ("(< 0 1)", None, True),
    ("(< 1 1)", None, False),
    ("(< 2 1)", None, False),
    ("(< 2006-01-02T15:04:05Z 2007-01-02T15:04:05Z)", None, True),
    ("(< 2008-01-02T15:04:05Z 2007-01-02T15:04:05Z)", None, False),
    ("(<= 0 1)", None, True),
    ("(<= 1 1)", None, True),
    ("(<= 2006-01-02T15:04:05Z 2007-01-02T15:04:05Z)", None, True),
    ("(<= 2008-01-02T15:04:05Z 2007-01-02T15:04:05Z)", None, False),
    ('(= "Hello World" "Hello World")', None, True),
    ("(= true true)", None, True),
    ('(= "Hello" "Bye")', None, False),
    ("(> 0 1)", None, False),
    ("(> 2 1)", None, True),
    ("(> 2006-01-02T15:04:05Z 2007-01-02T15:04:05Z)", None, False),
    ("(>= 0 1)", None, False),
    ("(>= 2 1)", None, True),
    ("(>= 2007-01-02T15:04:05Z 2007-01-02T15:04:05Z)", None, True),
    ("(addDuration 2018-03-18T00:04:05Z 3 minutes)", None, utc(2018, 3, 18, 0, 7, 5)),
    ("(addDuration 2018-03-18T00:04:05Z 2 hours)", None, utc(2018, 3, 18, 2, 4, 5)),
    ("(addDuration 2018-03-18T00:04:05Z 18 days)", None, utc(2018, 4, 5, 0, 4, 5)),
    ("(after 2006-01-02T19:04:05Z 2006-01-02T15:04:05Z)", None, True),
    ("(after 2006-01-01T19:04:05Z 2006-01-02T15:04:05Z)", None, False),
    ("(and false (> 2 1))", None, False),  # docs: true
    ("(and false false)", None, False),
    (
        '(append (list "Hello World" "Hello Universe") "Hello Human")',
        None,
        ["Hello World", "Hello Universe", "Hello Human"],
    ),
    ("(append (list 1 2) 3 4)", None, [D(1), D(2), D(3), D(4)]),
    ("(before 2006-01-02T19:04:05Z 2006-01-02T15:04:05Z)", None, False),
    ("(before 2006-01-01T19:04:05Z 2006-01-02T15:04:05Z)", None, True),
    ("(between 1 0 3)", None, True),
    ("(between 2 0 2)", None, False),
    (
        "(between 2007-01-02T00:00:00Z 2008-01-02T00:00:00Z 2006-01-02T00:00:00Z "
        "2009-01-02T00:00:00Z)",
        None,
        True,
    ),
    ("(between 2006-01-02T00:00:00Z 2006-01-02T00:00:00Z 2008-01-02T00:00:00Z)", None, False),
    (
        "(between 2007-01-02T00:00:00Z 2010-01-02T00:00:00Z 2006-01-02T00:00:00Z "
        "2009-01-02T00:00:00Z)",
        None,
        False,
    ),
    # docs: false, then true; the reference's test gives the opposite.
    ("(betweenTimes 2006-01-02T19:04:05Z 2006-01-01T15:04:05Z 2006-01-03T19:04:05Z)", None, True),
    ("(betweenTimes 2006-01-01T19:04:05Z 2006-01-02T15:04:05Z 2006-01-03T19:04:05Z)", None, False),
    ('catch "Edward" (. Profile Name)', None, "Edward"),
    ("catch 22 (. Profile Age)", {"Profile": {"Age": 46}}, D(46)),
    ("catch 22 2", None, D(2)),  # docs: 22
    ("(ceil 2)", None, D(2)),
    ("(ceil 2.5)", None, D(3)),
    ("(ceil 2.9)", None, D(3)),
    ("(ceil -2)", None, D(-2)),
    ('(concat "Hello" " " "World")', None, "Hello World"),
    # docs put the needle first; the code and tests put the haystack first.
    ('(contains "Hello World" "Hello")', None, True),
    ('(contains "Hello" "World")', None, False),
    ("(count (list 1 2 3 4))", None, D(4)),
    ("(count (list 1))", None, D(1)),
    ("(date 2018-01-02T19:04:05Z)", None, "2018-01-02"),
    ("daysBetween 2006-01-02T19:04:05Z 2006-01-02T22:19:05Z", None, D("0.1354166666666667")),
    ("do (list 1 2 3) Item (. Item)", None, [D(1), D(2), D(3)]),
    ("do (list 1 2 3) ((Item) (. Item))", None, [D(1), D(2), D(3)]),
    ('(drop (list "Hello World" "Hello Universe"))', None, ["Hello World"]),
    ("(drop (list 1 true Hello))", None, [D(1), True]),
    ('(endsWith "Hello World" "World")', None, True),
    ('(endsWith "Hello Universe" "World")', None, False),
    ("every (. Items) ((x) (= 1 (. x Price)))", {"Items": [{"Price": 1}]}, True),
    ('exists (list hello world) Item (= (. Item) "hello")', None, True),
    ('exists (list hello world) Item (= (. Item) "hey!!")', None, False),
    ('exists (list hello world) ((Item) (= (. Item) "hey!!"))', None, False),
    ("filter (list 1 4 7 12 24 48) ((x) (> (. x) 10))", None, [D(12), D(24), D(48)]),
    (
        'filter (list "Sasquatch" "Front squats" "Caramel" "Cart items") '
        '((x) (contains (. x) "squat"))',
        None,
        ["Sasquatch", "Front squats"],
    ),
    ('(firstName "Alex Unger")', None, "Alex"),
    ('(firstName "Mr Foo Bar")', None, "Mr"),
    ("(floor 2)", None, D(2)),
    ("(floor 2.4)", None, D(2)),
    ("(floor 2.9)", None, D(2)),
    ("(floor -2)", None, D(-2)),
    ("(formatTime 2018-01-02T19:04:05Z)", None, "2018-01-02T19:04:05Z"),  # docs: "2018"
    ('(head (list "Hello World" "Hello Universe"))', None, "Hello World"),
    ("(head (list 1 true Hello))", None, D(1)),
    ("(hour 2018-01-14T19:04:05Z)", None, "19"),
    ("isEmpty (list hello world)", None, False),
    ('(item (list "Hello World" "Hello Universe") 0)', None, "Hello World"),
    ("(item (list 1 true Hello) 1)", None, True),
    ("(item (list 1 true Hello) 3)", None, ERROR),
    ('(join (list hello world) "-")', None, "hello-world"),
    ('(join (list hello world) ",")', None, "hello,world"),
    (
        '(kv (Key1 "Hello World") (Key2 true) (Key3 123))',
        None,
        {"Key1": "Hello World", "Key2": True, "Key3": D(123)},  # docs: keys lower-cased
    ),
    ('(lastName "Alex Unger")', None, "Unger"),
    ('(lastName "Mr Foo Bar")', None, "Bar"),
    ('(list "Hello World" "Hello Universe")', None, ["Hello World", "Hello Universe"]),
    (
        '(map (list "World" "Universe") x (+ "Hello " (. x)))',
        None,
        ["Hello World", "Hello Universe"],
    ),
    (
        '(map (list "World" "Universe") ((x) (+ "Hello " (. x))))',
        None,
        ["Hello World", "Hello Universe"],
    ),
    ("matchTime 2018-03-11T00:04:05Z 2018-03-11T00:04:05Z YYYY-MM-DD", None, True),
    ("(max (list 3 4 1 3 7 1 17 15 2))", None, D(17)),
    ("(max (list 4 2 9 2 27 1 2 422))", None, D(422)),
    ("(min (list 3 4 1 3 7 1 17 15 2))", None, D(1)),
    ("(minute 2018-01-14T19:04:05Z)", None, "4"),  # docs: "04"
    ("(mod 1 2)", None, D(1)),
    ("(mod 3 8 2)", None, D(1)),
    ("(month 2018-01-02T19:04:05Z)", None, "1"),
    ("(monthDay 2018-01-14T19:04:05Z)", None, "14"),
    ("(not false)", None, True),
    ('(notContains "Hello World" "Hello")', None, False),
    ('(notContains "World" "Hello")', None, True),
    ("(or false false)", None, False),
    ('(parseTime "2018-01-02T19:04:05Z")', None, utc(2018, 1, 2, 19, 4, 5)),
    ('(parseTime "20:04:05" "HH:mm:ss")', None, utc(1, 1, 1, 20, 4, 5)),  # docs: 2018-01-02
    ('(push (list "Hello World") "Hello Human")', None, ["Hello World", "Hello Human"]),
    ("(reverse (list 1))", None, [D(1)]),
    ('(sort (list "World" "Universe"))', None, ["Universe", "World"]),
    ('(sort (list "World" "Universe") true)', None, ["World", "Universe"]),
    ("sortByNumber (list 2 4 3 1) ((Item) (. Item)) false", None, [D(1), D(2), D(3), D(4)]),
    ('(split "1-2-3-a" "-")', None, ["1", "2", "3", "a"]),
    ('(startsWith "Hello World" "Hello")', None, True),
    ('(startsWith "World" "Hello")', None, False),
    ('(tail (list "Hello World" "Hello Universe"))', None, ["Hello Universe"]),
    ("(tail (list 1 true Hello))", None, [True, "Hello"]),
    ("(toString 1)", None, "1"),
    ("(toString true)", None, "true"),
    ("(weekDay 2018-01-14T19:04:05Z)", None, "0"),  # docs: "3"; 2018-01-14 is a Sunday
    ("(year 2018-01-02T19:04:05Z)", None, "2018"),
    ('(~ "[a-z\\s]*" "Hello World")', None, True),
    ('(~ "[a-z\\s]*" "Hello W0rld")', None, True),  # docs: false; the pattern matches ""
    ('(~ "[a-z\\s]*" "Hello World" "Hello Universe")', None, True),
]


@pytest.mark.parametrize(("text", "scope", "expected"), DOCUMENTED, ids=[r[0] for r in DOCUMENTED])
def test_reference_documented_example(text: str, scope: Any, expected: Any) -> None:
    if expected is ERROR:
        error_of(text, scope)
    else:
        assert strictly_equal(run(text, scope), expected)
