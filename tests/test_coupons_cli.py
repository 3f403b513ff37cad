"""`carrot coupons generate|import|export` on the test database: the same checks and results
as the Management API, a progress bar on stderr, and a failing exit status on refusal."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from carrot.cli import app
from tests.api.management.test_campaigns import create_campaign, revision_of
from tests.api.management.test_coupons import listed, make_coupons
from tests.conftest import Api

RUNNER = CliRunner()


@pytest.fixture
def campaign(mgmt: Api, application: dict[str, Any]) -> dict[str, Any]:
    return create_campaign(mgmt, application, features=["coupons"])


@pytest.fixture
def carrot(database_url: str) -> Any:
    def run(*args: Any) -> Any:
        env = {"CARROT_DATABASE_URL": database_url, "COLUMNS": "120"}
        return RUNNER.invoke(app, ["coupons", *map(str, args)], env=env)

    return run


def test_generate_makes_the_codes_with_a_progress_bar(
    carrot: Any, db: Any, mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    before = revision_of(db, application)

    result = carrot(
        "generate",
        "--application-id", application["id"],
        "--campaign-id", campaign["id"],
        "--count", 1200,
        "--pattern", "CLI-#####",
        "--characters", "ABC123",
        "--usage-limit", 3,
        "--expiry-date", "2099-01-01T00:00:00Z",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "1200/1200" in result.stderr
    assert "1200 coupons created" in result.stderr
    found = listed(mgmt, application, campaign)
    assert len(found) == 1000  # one page
    assert all(re.fullmatch(r"CLI-[ABC123]{5}", coupon["value"]) for coupon in found)
    assert {(c["usageLimit"], c["expiryDate"]) for c in found} == {(3, "2099-01-01T00:00:00Z")}
    assert revision_of(db, application) > before


def test_generate_refuses_what_the_api_refuses(
    carrot: Any, mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    plain = create_campaign(mgmt, application, name="plain")

    too_small = carrot(
        "generate", "--application-id", application["id"], "--campaign-id", campaign["id"],
        "--count", 10, "--pattern", "AB##", "--characters", "12",
    )  # fmt: skip
    no_feature = carrot(
        "generate", "--application-id", application["id"], "--campaign-id", plain["id"],
        "--count", 1,
    )  # fmt: skip
    bad_date = carrot(
        "generate", "--application-id", application["id"], "--campaign-id", campaign["id"],
        "--count", 1, "--start-date", "soon",
    )  # fmt: skip

    assert [too_small.exit_code, no_feature.exit_code, bad_date.exit_code] == [1, 1, 1]
    assert "can make only 4 distinct codes, not 10" in too_small.stderr
    assert "does not have the coupons feature" in no_feature.stderr
    assert "--start-date" in bad_date.stderr
    assert listed(mgmt, application, campaign) == []


def test_import_reads_a_file_all_or_nothing(
    carrot: Any, tmp_path: Path, mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    good = tmp_path / "good.csv"
    good.write_text("value,limitval\nFILE-1,2\nFILE-2,\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("value,limitval\nFILE-3,2\nFILE-4,many\n")
    ids = ("--application-id", application["id"], "--campaign-id", campaign["id"])

    imported = carrot("import", good, *ids)
    refused = carrot("import", bad, *ids)
    repeated = carrot("import", good, *ids)
    skipped = carrot("import", good, *ids, "--skip-duplicates")

    assert imported.exit_code == 0, imported.output
    assert "2 coupons imported" in imported.stderr and "2/2" in imported.stderr
    assert refused.exit_code == 1
    assert "Line 3, column limitval" in refused.stderr
    assert repeated.exit_code == 1 and "exists already" in repeated.stderr
    assert skipped.exit_code == 0 and "0 coupons imported" in skipped.stderr
    found = {
        coupon["value"]: coupon["usageLimit"] for coupon in listed(mgmt, application, campaign)
    }
    assert found == {"FILE-1": 2, "FILE-2": 1}


def test_export_writes_the_csv_to_a_file_or_stdout(
    carrot: Any, tmp_path: Path, mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    other = create_campaign(mgmt, application, features=["coupons"])
    mine = make_coupons(mgmt, application, campaign, 3)
    make_coupons(mgmt, application, other, 2)
    target = tmp_path / "out.csv"

    to_file = carrot("export", "--application-id", application["id"], "--output", target)
    to_stdout = carrot(
        "export", "--application-id", application["id"], "--campaign-id", campaign["id"]
    )

    assert to_file.exit_code == 0, to_file.output
    assert "5 coupons exported" in to_file.stderr and "5/5" in to_file.stderr
    assert len(list(csv.DictReader(target.open()))) == 5
    rows = list(csv.DictReader(io.StringIO(to_stdout.stdout)))
    assert {row["value"] for row in rows} == {coupon["value"] for coupon in mine}


def test_unknown_application_fails(carrot: Any, db: Any) -> None:
    result = carrot("export", "--application-id", 4242)

    assert result.exit_code == 1
    assert "Application 4242 not found." in result.stderr
