"""Maps: `kv` builds them and `.` reads them."""

from __future__ import annotations

from tests.talang.helpers import D, run


def test_kv_evaluates_values_and_keeps_key_case() -> None:
    assert run("(kv (Total (. T)) (currency EUR))", {"T": 5}) == {"Total": D(5), "currency": "EUR"}


def test_a_built_map_can_be_read() -> None:
    assert run("(do (kv (a (kv (b 2)))) m (. m a b))") == D(2)


def test_empty_kv() -> None:
    assert run("(kv)") == {}
