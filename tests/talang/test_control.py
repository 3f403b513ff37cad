"""Control and bindings: `.`, `.|`, `catch`, `do`, `fn`, `noop`, `set`, sequences."""

from __future__ import annotations

from tests.talang.helpers import D, error_of, run


def test_computed_path_keys_use_their_text() -> None:
    assert run("(. Root (+ 1 1))", {"Root": {"2": "two"}}) == "two"
    assert run("(. Root (. K))", {"Root": {"a": 1}, "K": "a"}) == D(1)


def test_set_then_read_in_a_sequence() -> None:
    assert run("((set Discount (* (. Total) 0.1)) (- (. Total) (. Discount)))", {"Total": 50}) == D(
        "45.0"
    )


def test_set_makes_nested_maps() -> None:
    assert run("((set A B C 1) (. A))") == {"B": {"C": D(1)}}
    assert run("((set A B 1) (set A C 2) (. A))", {"A": {"X": 0}}) == {
        "X": D(0),
        "B": D(1),
        "C": D(2),
    }


def test_set_inside_catch_or_a_block_stays_there() -> None:
    assert run("((catch 0 (set X 1)) (.| none (. X)))") == "none"
    assert run("((map (list 1) i (set X 1)) (.| none (. X)))") == "none"


def test_setting_null_unsets() -> None:
    assert run("((set X (noop)) (.| none (. X)))", {"X": "old"}) == "none"


def test_catch_gives_the_fallback_evaluated() -> None:
    assert run("(catch (. Default) (. Missing))", {"Default": 7}) == D(7)
    assert run("(catch (noop) (. Missing))") is None


def test_catch_does_not_hide_a_failing_fallback() -> None:
    error = error_of("(catch (. Other) (. Missing))")
    assert (error.message, error.path) == ("`Other` is not set", "$[1]")


def test_do_binds_a_value() -> None:
    assert run(
        "(do (. Session) s (+ (. s Total) (. s Shipping)))",
        {"Session": {"Total": 10, "Shipping": 5}},
    ) == D(15)
    assert run("(do 3 (fn x (* (. x) (. x))))") == D(9)


def test_fn_spelling_works_in_every_block_function() -> None:
    assert run("(filter (list 1 5) (fn (x) (> (. x) 2)))") == [D(5)]
    assert run("(sortByNumber (list 2 1) (fn x (. x)) false)") == [D(1), D(2)]


def test_a_sequence_gives_its_last_value() -> None:
    assert run("((noop) 1 2)") == D(2)
