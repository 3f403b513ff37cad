"""Logic: short-circuit `and`/`or` of real Booleans."""

from __future__ import annotations

from carrot.talang import FunctionError, default_registry, host_function
from tests.talang.helpers import error_of, run

CALLS: list[str] = []


def _probe() -> bool:
    CALLS.append("probe")
    return True


REGISTRY = default_registry().extend(host_function("probe", "() -> Boolean", _probe, doc="test"))


def test_and_stops_at_the_first_false_condition() -> None:
    CALLS.clear()
    assert run("(and false (probe))", registry=REGISTRY) is False
    assert CALLS == []


def test_or_stops_at_the_first_true_condition() -> None:
    CALLS.clear()
    assert run("(or true (probe))", registry=REGISTRY) is True
    assert CALLS == []


def test_a_later_failure_does_not_matter_once_decided() -> None:
    assert run("(and (> (. Total) 100) (. Missing))", {"Total": 50}) is False
    assert run("(or (. Flag) (. Missing))", {"Flag": True}) is True


def test_an_undecided_failure_is_an_error() -> None:
    error = error_of("(and (> (. Total) 10) (. Missing))", {"Total": 50})
    assert (error.message, error.path) == ("`Missing` is not set", "$[2]")


def test_collections_are_skipped_by_and_and_satisfy_or() -> None:
    assert run("(and (. L) true)", {"L": []}) is True
    assert run("(or false (. M))", {"M": {}}) is True


def test_empty_and_is_true_and_empty_or_is_false() -> None:
    assert run("(and)") is True
    assert run("(or)") is False


def test_many_conditions() -> None:
    assert run("(and true true (> 2 1) (not false))") is True
    assert run("(or false false (> 1 2) (not true))") is False
    assert run("(and (. A) (. B) (. C))", {"A": True, "B": True, "C": False}) is False
    assert run("(or (. A) (. B) (. C))", {"A": False, "B": False, "C": True}) is True


def test_host_failure_inside_a_condition_names_the_call() -> None:
    def broken() -> bool:
        raise FunctionError("the coupon service is down")

    registry = default_registry().extend(host_function("broken", "() -> Boolean", broken, doc="x"))
    error = error_of("(and true (broken))", registry=registry)
    assert (error.message, error.path) == ("the coupon service is down", "$[2]")
