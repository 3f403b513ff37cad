"""domain.money: the ISO 4217 table applications are checked against and the engine rounds by."""

from __future__ import annotations

import pytest

from carrot.domain.money import is_currency, minor_units
from tests.conftest import Api, create_application


@pytest.mark.parametrize(
    ("currency", "places"),
    [
        ("EUR", 2),
        ("USD", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("ISK", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("TND", 3),
        ("CLF", 4),
        ("UYW", 4),
        ("HUF", 2),
        ("XAF", 0),
    ],
)
def test_minor_units_follow_iso_4217(currency: str, places: int) -> None:
    assert minor_units(currency) == places


@pytest.mark.parametrize("code", ["eur", "EURO", "XAU", "XXX", "", "ZZZ"])
def test_unknown_code_has_no_minor_unit(code: str) -> None:
    assert not is_currency(code)
    with pytest.raises(ValueError, match="not an ISO 4217 currency code"):
        minor_units(code)


@pytest.mark.parametrize("currency", ["JPY", "KWD", "CLF"])
def test_application_accepts_every_currency_carrot_can_round(mgmt: Api, currency: str) -> None:
    assert create_application(mgmt, currency=currency)["currency"] == currency
