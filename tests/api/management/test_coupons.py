"""Coupons through the Management API: creating codes (at once and in the background),
importing and exporting CSV, listing with Talon.One's filters, updating and deleting; codes
unique within the application in its case; every refusal a 400 that changes nothing."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import talon_one
from fastapi.testclient import TestClient

from carrot.store import tables
from carrot.store.db import Database
from tests.api.management.test_campaigns import create_campaign, limited_key, revision_of
from tests.conftest import Api, create_application, create_integration_key

PAST = "2001-01-01T00:00:00Z"
FUTURE = "2099-01-01T00:00:00Z"


def coupon_campaign(mgmt: Api, application: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return create_campaign(mgmt, application, features=["coupons"], **fields)


def url(application: dict[str, Any], campaign: dict[str, Any], path: str = "/coupons") -> str:
    return f"/v1/applications/{application['id']}/campaigns/{campaign['id']}{path}"


def make_coupons(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any], count: int = 1, **fields: Any
) -> list[dict[str, Any]]:
    body = {"numberOfCoupons": count, "usageLimit": 1, **fields}
    response = mgmt.post(url(application, campaign), params={"silent": "no"}, json=body)
    assert response.status_code == 200, response.text
    created: list[dict[str, Any]] = response.json()["data"]
    return created


def listed(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any], **params: Any
) -> list[dict[str, Any]]:
    response = mgmt.get(url(application, campaign, "/coupons/no_total"), params=params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["data"]
    return found


def codes(found: list[dict[str, Any]]) -> set[str]:
    return {coupon["value"] for coupon in found}


def import_csv(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any], text: str, **params: Any
) -> Any:
    return mgmt.post(
        url(application, campaign, "/import_coupons"),
        params=params,
        content=text.encode(),
        headers={"Content-Type": "text/csv"},
    )


def stored(db: Database) -> list[Any]:
    """Every row the coupon endpoints write."""
    with db.read() as conn:
        return [
            conn.execute(sa.select(table).order_by(table.c.id)).all()
            for table in (tables.coupons, tables.coupon_jobs, tables.imports)
        ]


def set_counters(db: Database, value: str, **columns: Any) -> None:
    with db.write() as conn:
        conn.execute(
            tables.coupons.update().where(tables.coupons.c.value == value).values(**columns)
        )


def define_coupon_attribute(mgmt: Api, name: str = "color", type: str = "string") -> None:
    body = {"entity": "Coupon", "name": name, "title": name.title(), "type": type}
    assert mgmt.post("/v1/attributes", json=body).status_code == 201


def wait_for_job(mgmt: Api, job_url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job: dict[str, Any] = mgmt.get(job_url).json()
        if job["status"] != "pending":
            return job
        time.sleep(0.05)
    raise AssertionError("the coupon job did not finish")


@pytest.fixture
def campaign(mgmt: Api, application: dict[str, Any]) -> dict[str, Any]:
    return coupon_campaign(mgmt, application)


# --- creating --------------------------------------------------------------------------


def test_created_coupons_have_talon_ones_fields_and_defaults(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    created = make_coupons(mgmt, application, campaign, 3)

    assert len(created) == 3 and len(codes(created)) == 3
    first = created[0]
    assert first["created"].endswith("Z") and isinstance(first["id"], int)
    assert re.fullmatch(r"[A-Z0-9]{8}", first["value"])
    assert len({coupon["batchId"] for coupon in created}) == 1
    assert {
        key: value
        for key, value in first.items()
        if key not in ("id", "created", "value", "batchId")
    } == {
        "campaignId": campaign["id"],
        "usageLimit": 1,
        "discountLimit": 0,
        "reservationLimit": 0,
        "limits": [],
        "usageCounter": 0,
        "discountCounter": 0,
        "reservationCounter": 0,
        "attributes": {},
        "reservation": True,
        "isReservationMandatory": False,
        "implicitlyReserved": False,
    }
    assert listed(mgmt, application, campaign) == created


def test_every_field_is_stored_and_read_back(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    define_coupon_attribute(mgmt)
    fields = {
        "usageLimit": 5,
        "discountLimit": 25.5,
        "reservationLimit": 3,
        "startDate": "2030-01-01T10:00:00+02:00",
        "expiryDate": FUTURE,
        "limits": [
            {"action": "redeemCoupon", "limit": 2, "period": "weekly", "entities": ["Profile"]}
        ],
        "attributes": {"color": "red"},
        "isReservationMandatory": True,
        "implicitlyReserved": True,
    }

    [coupon] = make_coupons(mgmt, application, campaign, **fields)

    assert coupon["startDate"] == "2030-01-01T08:00:00Z"
    assert coupon["discountRemainder"] == 25.5
    assert {key: coupon[key] for key in fields if key != "startDate"} == {
        key: value for key, value in fields.items() if key != "startDate"
    }
    [personal] = make_coupons(mgmt, application, campaign, recipientIntegrationId="alice")
    assert personal["recipientIntegrationId"] == "alice" and personal["reservation"] is False


def test_silent_creation_answers_204_and_stores_the_codes(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    body = {"numberOfCoupons": 50, "usageLimit": 0}

    response = mgmt.post(url(application, campaign), json=body)

    assert response.status_code == 204 and response.content == b""
    found = listed(mgmt, application, campaign)
    assert len(codes(found)) == 50
    assert {coupon["usageLimit"] for coupon in found} == {0}


def test_codes_follow_the_pattern_and_valid_characters(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    created = make_coupons(
        mgmt, application, campaign, 16, couponPattern="SPR-####-x", validCharacters=["a", "7"]
    )

    assert all(re.fullmatch(r"SPR-[a7]{4}-x", coupon["value"]) for coupon in created)
    assert len(codes(created)) == 16  # every code the pattern can make, once each


def test_any_number_of_valid_characters_may_be_used(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    characters = [chr(0x4E00 + offset) for offset in range(300)]

    created = make_coupons(
        mgmt, application, campaign, 20, couponPattern="CJK-###", validCharacters=characters
    )

    assert len(codes(created)) == 20
    assert all(
        coupon["value"].startswith("CJK-") and set(coupon["value"][4:]) <= set(characters)
        for coupon in created
    )


def test_a_pattern_without_placeholders_makes_that_one_code(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    [coupon] = make_coupons(mgmt, application, campaign, couponPattern="SUMMER-{2030}")
    again = mgmt.post(
        url(application, campaign),
        json={"numberOfCoupons": 1, "usageLimit": 1, "couponPattern": "SUMMER-{2030}"},
    )

    assert coupon["value"] == "SUMMER-{2030}"
    assert again.status_code == 400
    assert "Only 0 of 1 new codes could be made" in again.json()["message"]


def test_unique_prefix_comes_before_the_pattern(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    created = make_coupons(mgmt, application, campaign, 2, uniquePrefix="VIP_")

    assert all(re.fullmatch(r"VIP_[A-Z0-9]{8}", coupon["value"]) for coupon in created)


def test_the_campaigns_coupon_settings_make_the_codes_by_default(
    mgmt: Api, application: dict[str, Any]
) -> None:
    settings = {"couponPattern": "CAMP-###", "validCharacters": ["Q"]}
    campaign = coupon_campaign(mgmt, application, couponSettings=settings)

    [coupon] = make_coupons(mgmt, application, campaign)
    [own] = make_coupons(mgmt, application, campaign, couponPattern="OWN-###")

    assert coupon["value"] == "CAMP-QQQ"
    assert own["value"] == "OWN-QQQ"


@pytest.mark.parametrize(
    ("case", "generated", "imported"),
    [
        ("insensitive-uppercase", r"ABC-[XY]{2}", "ABC-XY-1"),
        ("insensitive-lowercase", r"abc-[xy]{2}", "abc-xy-1"),
        ("sensitive", r"aBc-[xY]{2}", "aBc-Xy-1"),
    ],
)
def test_codes_are_kept_in_the_applications_case(
    mgmt: Api, case: str, generated: str, imported: str
) -> None:
    application = create_application(mgmt, caseSensitivity=case)
    campaign = coupon_campaign(mgmt, application)

    [coupon] = make_coupons(
        mgmt, application, campaign, couponPattern="aBc-##", validCharacters=["x", "Y"]
    )
    response = import_csv(mgmt, application, campaign, "value\naBc-Xy-1\n")

    assert re.fullmatch(generated, coupon["value"])
    assert response.status_code == 200, response.text
    assert imported in codes(listed(mgmt, application, campaign))


def test_codes_differing_only_in_case_are_one_code_in_an_insensitive_application(
    mgmt: Api,
) -> None:
    application = create_application(mgmt, caseSensitivity="insensitive-uppercase")
    campaign = coupon_campaign(mgmt, application)
    assert import_csv(mgmt, application, campaign, "value\nSUMMER\n").status_code == 200

    response = import_csv(mgmt, application, campaign, "value\nsummer\n")

    assert response.status_code == 400
    assert "Line 2, column value" in response.json()["message"]


def test_codes_never_collide_with_codes_of_the_application(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    other = coupon_campaign(mgmt, application)
    small = {"couponPattern": "AB##", "validCharacters": list("1234567")}  # 49 codes
    first = make_coupons(mgmt, application, campaign, 30, **small)

    second = make_coupons(mgmt, application, other, 19, **small)

    assert len(codes(first) | codes(second)) == 49


def test_a_full_pattern_is_a_400_that_creates_nothing(
    mgmt: Api, db: Database, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    small = {"couponPattern": "AB##", "validCharacters": list("1234567")}
    make_coupons(mgmt, application, campaign, 45, **small)
    before = stored(db)

    response = mgmt.post(
        url(application, campaign), json={"numberOfCoupons": 5, "usageLimit": 1, **small}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"] == {"pointer": "/couponPattern"}
    assert "exists in application" in response.json()["message"]
    assert stored(db) == before


def test_a_pattern_too_small_for_the_count_is_a_400(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    body = {"numberOfCoupons": 50, "usageLimit": 1, "couponPattern": "AB##"}
    body["validCharacters"] = list("1234567")

    response = mgmt.post(url(application, campaign), json=body)

    assert response.status_code == 400
    assert response.json()["message"] == (
        "The pattern 'AB##' with 7 valid characters can make only 49 distinct codes, not 50."
    )


def test_campaign_without_the_coupons_feature_takes_no_coupons(
    mgmt: Api, application: dict[str, Any]
) -> None:
    plain = create_campaign(mgmt, application, name="no codes")

    response = mgmt.post(url(application, plain), json={"numberOfCoupons": 1, "usageLimit": 1})
    imported = import_csv(mgmt, application, plain, "value\nABCD\n")

    assert (response.status_code, imported.status_code) == (400, 400)
    error = response.json()["errors"][0]
    assert "source" not in error
    assert (
        f"Campaign {plain['id']} ('no codes') does not have the coupons feature" in error["details"]
    )


def test_unknown_campaign_or_one_of_another_application_is_a_404(
    mgmt: Api, application: dict[str, Any]
) -> None:
    elsewhere = create_application(mgmt)
    theirs = coupon_campaign(mgmt, elsewhere)
    body = {"numberOfCoupons": 1, "usageLimit": 1}

    for campaign_id in (theirs["id"], 987654):
        target = url(application, {"id": campaign_id})
        assert mgmt.post(target, json=body).status_code == 404
        assert mgmt.get(target + "/no_total").status_code == 404
        assert mgmt.delete(target).status_code == 404
    assert mgmt.post("/v1/applications/4242/campaigns/1/coupons", json=body).status_code == 404


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"numberOfCoupons": 0}, "/numberOfCoupons"),
        ({"numberOfCoupons": 20_001}, "/numberOfCoupons"),
        ({"numberOfCoupons": "3"}, "/numberOfCoupons"),
        ({"usageLimit": -1}, "/usageLimit"),
        ({"usageLimit": 1_000_000}, "/usageLimit"),
        ({"usageLimit": None}, "/usageLimit"),
        ({"discountLimit": -0.5}, "/discountLimit"),
        ({"discountLimit": 1e16}, "/discountLimit"),
        ({"reservationLimit": 1_000_000}, "/reservationLimit"),
        ({"couponPattern": "##"}, "/couponPattern"),
        ({"couponPattern": "###", "uniquePrefix": ""}, "/couponPattern"),
        ({"couponPattern": "#" * 100, "uniquePrefix": "X"}, "/couponPattern"),
        ({"validCharacters": ["AB"]}, "/validCharacters/0"),
        ({"validCharacters": []}, "/validCharacters"),
        ({"validCharacters": ["\u0000"]}, "/validCharacters/0"),
        ({"uniquePrefix": "A#"}, "/uniquePrefix"),
        ({"startDate": FUTURE, "expiryDate": PAST}, "/expiryDate"),
        ({"expiryDate": "tomorrow"}, "/expiryDate"),
        ({"attributes": {"unknown": 1}}, "/attributes/unknown"),
        ({"recipientIntegrationId": ""}, "/recipientIntegrationId"),
        ({"recipientIntegrationId": "x" * 1001}, "/recipientIntegrationId"),
        (
            {
                "numberOfCoupons": 2,
                "limits": [{"action": "redeemCoupon", "limit": 1, "entities": ["Profile"]}],
            },
            "/limits",
        ),
        (
            {"limits": [{"action": "redeemCoupon", "limit": 1, "entities": ["Coupon"]}]},
            "/limits/0/entities",
        ),
        ({"isReservationMandatory": "yes"}, "/isReservationMandatory"),
    ],
)
def test_invalid_new_coupons_are_a_400_naming_the_field(
    mgmt: Api,
    db: Database,
    application: dict[str, Any],
    campaign: dict[str, Any],
    fields: dict[str, Any],
    pointer: str,
) -> None:
    body = {"numberOfCoupons": 1, "usageLimit": 1, **fields}

    response = mgmt.post(url(application, campaign), json=body)

    assert response.status_code == 400, response.text
    assert pointer in [error["source"]["pointer"] for error in response.json()["errors"]]
    assert stored(db) == [[], [], []]


def test_more_than_20000_codes_need_the_async_endpoint(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    response = mgmt.post(
        url(application, campaign), json={"numberOfCoupons": 20_001, "usageLimit": 1}
    )

    assert response.status_code == 400
    assert "use coupons_async" in response.json()["message"]


def test_coupon_attributes_are_checked_and_kept(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    define_coupon_attribute(mgmt, "weight", "number")

    [coupon] = make_coupons(mgmt, application, campaign, attributes={"weight": 2.5})
    wrong = mgmt.post(
        url(application, campaign),
        json={"numberOfCoupons": 1, "usageLimit": 1, "attributes": {"weight": "heavy"}},
    )

    assert coupon["attributes"] == {"weight": 2.5}
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["source"] == {"pointer": "/attributes/weight"}


# Junk for every body that makes coupons; then junk in the fields only one of them has.
JUNK = [
    [],
    "coupons",
    17,
    None,
    {"numberOfCoupons": {"nested": True}, "usageLimit": 1},
    {"numberOfCoupons": 1, "usageLimit": 1, "attributes": "color"},
    {"numberOfCoupons": 1, "usageLimit": 1.5},
    {"numberOfCoupons": 2**70, "usageLimit": 1},
    {"numberOfCoupons": 1, "usageLimit": 1, "discountLimit": float("nan")},
    {"numberOfCoupons": 1, "usageLimit": 1, "discountLimit": "10"},
    {"numberOfCoupons": 1, "usageLimit": 1, "startDate": 12},
    {"numberOfCoupons": 1, "usageLimit": 1, "startDate": "9999-12-31T23:59:59-01:00"},
    {"numberOfCoupons": 1, "usageLimit": 1, "attributes": {"color": float("inf")}},
    {"numberOfCoupons": 1, "usageLimit": 1, "attributes": {"color": "\u0000"}},
]
NEW_COUPONS_JUNK = [
    {"limits": "all"},
    {"limits": [None]},
    {"couponPattern": "\u0000" * 50},
    {"couponPattern": "\ud800##"},
    {"validCharacters": "ABC"},
    {"validCharacters": [None]},
    {"recipientIntegrationId": 5},
    {"uniquePrefix": ["x"]},
    {"isReservationMandatory": "true"},
]
JOB_JUNK = [
    {"couponSettings": []},
    {"couponSettings": {"couponPattern": "####"}},
    {"couponSettings": {"couponPattern": 5, "validCharacters": ["A"]}},
    {"couponSettings": {"couponPattern": "####", "validCharacters": "A"}},
    {"numberOfCoupons": 5_000_001},
]


def post_json(mgmt: Api, target: str, body: Any) -> Any:
    # json.dumps writes NaN and Infinity as carrot reads them, and lone surrogates as escapes.
    return mgmt.post(target, content=json.dumps(body), headers={"Content-Type": "application/json"})


@pytest.mark.parametrize(
    "body", JUNK + [{"numberOfCoupons": 1, "usageLimit": 1, **junk} for junk in NEW_COUPONS_JUNK]
)
def test_junk_new_coupons_are_refused_without_server_errors(
    mgmt: Api, db: Database, application: dict[str, Any], campaign: dict[str, Any], body: Any
) -> None:
    define_coupon_attribute(mgmt)
    before = stored(db)

    response = post_json(mgmt, url(application, campaign), body)

    assert response.status_code == 400
    assert stored(db) == before


@pytest.mark.parametrize(
    "body", JUNK + [{"numberOfCoupons": 1, "usageLimit": 1, **junk} for junk in JOB_JUNK]
)
def test_junk_coupon_jobs_are_refused_without_server_errors(
    mgmt: Api, db: Database, application: dict[str, Any], campaign: dict[str, Any], body: Any
) -> None:
    define_coupon_attribute(mgmt)
    before = stored(db)

    response = post_json(mgmt, url(application, campaign, "/coupons_async"), body)

    assert response.status_code == 400
    assert stored(db) == before


@pytest.mark.parametrize(
    "body",
    [
        [],
        "coupon",
        None,
        {"usageLimit": "2"},
        {"usageLimit": 2**70},
        {"discountLimit": float("-inf")},
        {"startDate": "9999-12-31T23:59:59-01:00"},
        {"limits": [{"action": "redeemCoupon"}]},
        {"recipientIntegrationId": "\ud800"},
        {"attributes": {"color": ["red"]}},
        {"implicitlyReserved": None, "isReservationMandatory": 1},
    ],
)
def test_junk_coupon_updates_are_refused_without_server_errors(
    mgmt: Api, db: Database, application: dict[str, Any], campaign: dict[str, Any], body: Any
) -> None:
    define_coupon_attribute(mgmt)
    [coupon] = make_coupons(mgmt, application, campaign, expiryDate=FUTURE)
    before = stored(db)

    response = mgmt.put(
        url(application, campaign, f"/coupons/{coupon['id']}"),
        content=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert stored(db) == before


def test_body_that_is_not_json_is_a_400(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    response = mgmt.post(
        url(application, campaign),
        content=b"{numberOfCoupons: 3",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400


# --- in the background -----------------------------------------------------------------


def test_async_job_makes_the_codes_in_batches_and_reports_progress(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    body = {
        "numberOfCoupons": 6_000,
        "usageLimit": 2,
        "couponSettings": {"couponPattern": "BG-######", "validCharacters": list("ABCDEFGH")},
        "attributes": {},
    }

    response = mgmt.post(url(application, campaign, "/coupons_async"), json=body)

    assert response.status_code == 200, response.text
    answer = response.json()
    job = wait_for_job(mgmt, url(application, campaign, f"/coupons_async/{answer['id']}"))
    assert job["status"] == "completed"
    assert (job["numberOfCoupons"], job["createdCoupons"]) == (6_000, 6_000)
    assert job["batchId"] == answer["batchId"] and job["finished"].endswith("Z")
    batch = listed(mgmt, application, campaign, batchId=answer["batchId"], pageSize=1000)
    assert len(batch) == 1000
    assert all(re.fullmatch(r"BG-[A-H]{6}", c["value"]) and c["usageLimit"] == 2 for c in batch)


def test_async_job_ends_pattern_full_when_the_pattern_runs_out(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    small = {"couponPattern": "AB##", "validCharacters": list("1234567")}
    make_coupons(mgmt, application, campaign, 47, **small)
    body = {"numberOfCoupons": 5, "usageLimit": 1, "couponSettings": small}

    answer = mgmt.post(url(application, campaign, "/coupons_async"), json=body).json()
    job = wait_for_job(mgmt, url(application, campaign, f"/coupons_async/{answer['id']}"))

    assert (job["status"], job["createdCoupons"]) == ("coupon pattern full", 2)
    assert len(listed(mgmt, application, campaign)) == 49


def test_async_requests_are_checked_before_the_job_starts(
    mgmt: Api, db: Database, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    async_url = url(application, campaign, "/coupons_async")
    too_many = {"numberOfCoupons": 5_000_001, "usageLimit": 1}
    bad_pattern = {
        "numberOfCoupons": 100,
        "usageLimit": 1,
        "couponSettings": {"couponPattern": "A##", "validCharacters": ["1", "2"]},
    }

    refused = [mgmt.post(async_url, json=body) for body in (too_many, bad_pattern)]

    assert [response.status_code for response in refused] == [400, 400]
    assert refused[0].json()["errors"][0]["source"] == {"pointer": "/numberOfCoupons"}
    assert refused[1].json()["errors"][0]["source"] == {"pointer": "/couponSettings/couponPattern"}
    assert stored(db) == [[], [], []]


def test_a_pending_job_that_stopped_moving_is_reported_failed(
    mgmt: Api, db: Database, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    with db.write() as conn:
        job_id = conn.execute(
            tables.coupon_jobs.insert()
            .values(
                application_id=application["id"],
                campaign_id=campaign["id"],
                batch_id="abcdefgh",
                status="pending",
                total=10,
                created_count=4,
                created=long_ago,
                updated=long_ago,
            )
            .returning(tables.coupon_jobs.c.id)
        ).scalar_one()

    job = mgmt.get(url(application, campaign, f"/coupons_async/{job_id}")).json()

    assert (job["status"], job["createdCoupons"]) == ("failed", 4)
    assert "shut down" in job["error"]


def test_unknown_job_is_a_404(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    other = coupon_campaign(mgmt, application)
    body = {"numberOfCoupons": 1, "usageLimit": 1}
    answer = mgmt.post(url(application, campaign, "/coupons_async"), json=body).json()
    wait_for_job(mgmt, url(application, campaign, f"/coupons_async/{answer['id']}"))

    assert mgmt.get(url(application, other, f"/coupons_async/{answer['id']}")).status_code == 404
    assert mgmt.get(url(application, campaign, "/coupons_async/98765")).status_code == 404


# --- importing -------------------------------------------------------------------------


def test_import_creates_a_coupon_per_line(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    define_coupon_attribute(mgmt)
    text = (
        '"value","expirydate","startdate","recipientintegrationid","limitval","attributes","discountlimit"\n'
        'COUP1,2099-07-01T04:00:00Z,2018-05-01T06:00:00+02:00,cust123,3,"{""color"": ""red""}",2.4\n'
        "COUP2,,,,,,\n"
        "COUP3,,,,0,,\n"
    )

    response = import_csv(mgmt, application, campaign, text)

    assert response.status_code == 200, response.text
    done = response.json()
    assert (done["entity"], done["amount"], done["accountId"]) == ("Coupon", 3, 1)
    found = {coupon["value"]: coupon for coupon in listed(mgmt, application, campaign)}
    assert set(found) == {"COUP1", "COUP2", "COUP3"}
    first = found["COUP1"]
    assert (first["expiryDate"], first["startDate"]) == (
        "2099-07-01T04:00:00Z",
        "2018-05-01T04:00:00Z",
    )
    assert (first["recipientIntegrationId"], first["usageLimit"], first["discountLimit"]) == (
        "cust123",
        3,
        2.4,
    )
    assert first["attributes"] == {"color": "red"} and first["importId"] == done["id"]
    assert found["COUP2"]["usageLimit"] == 1 and "expiryDate" not in found["COUP2"]
    assert found["COUP3"]["usageLimit"] == 0
    assert len({coupon["batchId"] for coupon in found.values()}) == 1


def test_import_takes_a_multipart_file_as_the_sdk_sends_it(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    response = mgmt.post(
        url(application, campaign, "/import_coupons"),
        files={"upFile": ("coupons.csv", b"value,limitval\r\nFROM-FILE,4\r\n", "text/csv")},
    )

    assert response.status_code == 200, response.text
    [coupon] = listed(mgmt, application, campaign)
    assert (coupon["value"], coupon["usageLimit"]) == ("FROM-FILE", 4)


def test_import_of_a_bad_file_names_every_bad_line_and_imports_nothing(
    mgmt: Api, db: Database, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    text = (
        "value,expirydate,limitval,discountlimit,attributes\n"
        "GOOD1,,,,\n"
        "GOOD2,next week,,,\n"
        "GOOD3,,-1,,\n"
        "GOOD4,,,lots,\n"
        "GOOD5,,,,{not json}\n"
        'GOOD6,,,,"{""nope"": 1}"\n'
        "GOOD1,,,,\n"
        "ab,,,,\n"
    )

    response = import_csv(mgmt, application, campaign, text)

    assert response.status_code == 400
    details = [error["details"] for error in response.json()["errors"]]
    assert [detail.split(":")[0] for detail in details] == [
        "Line 3, column expirydate",
        "Line 4, column limitval",
        "Line 5, column discountlimit",
        "Line 6, column attributes",
        "Line 7, column attributes",
        "Line 8, column value",
        "Line 9, column value",
    ]
    assert "repeats line 2" in details[5]
    assert stored(db) == [[], [], []]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Line 1: The file is empty"),
        ("code\nABCD\n", "Line 1: Unknown column 'code'"),
        ("limitval\n1\n", "Line 1: The column 'value' is missing"),
        ("value,value\nABCD,ABCE\n", "Line 1: The column 'value' is named more than once"),
        ("value,limitval\nABCD\n", "Line 2: 1 fields where the header names 2"),
        ('value\n"ABCD\x00"\n', "Line 2, column value: The text must not contain the NUL"),
        (
            "value,startdate,expirydate\nABCD,2099-01-01T00:00:00Z,2001-01-01T00:00:00Z\n",
            "Line 2: The coupon would expire before it starts.",
        ),
    ],
)
def test_import_refuses_malformed_files(
    mgmt: Api,
    db: Database,
    application: dict[str, Any],
    campaign: dict[str, Any],
    text: str,
    message: str,
) -> None:
    response = import_csv(mgmt, application, campaign, text)

    assert response.status_code == 400
    assert response.json()["message"].startswith(message), response.json()["message"]
    assert stored(db) == [[], [], []]


def test_import_refuses_what_is_not_utf8(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    response = mgmt.post(
        url(application, campaign, "/import_coupons"),
        content=b"value\n\xff\xfe\n",
        headers={"Content-Type": "text/csv"},
    )

    assert response.status_code == 400
    assert "not UTF-8" in response.json()["message"]


def test_existing_codes_fail_an_import_unless_duplicates_are_skipped(
    mgmt: Api, db: Database, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    other = coupon_campaign(mgmt, application)
    assert import_csv(mgmt, application, other, "value\nTAKEN\n").status_code == 200
    before = stored(db)
    text = "value\nFRESH1\nTAKEN\nFRESH2\nFRESH1\n"

    refused = import_csv(mgmt, application, campaign, text)
    assert refused.status_code == 400
    assert stored(db) == before

    accepted = import_csv(mgmt, application, campaign, text, skipDuplicates="true")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["amount"] == 2
    assert codes(listed(mgmt, application, campaign)) == {"FRESH1", "FRESH2"}


def test_existing_code_is_refused_naming_its_line(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    assert import_csv(mgmt, application, campaign, "value\nTAKEN\n").status_code == 200

    refused = import_csv(mgmt, application, campaign, "value\nFRESH\nTAKEN\n")

    assert refused.json()["message"] == "Line 3, column value: The code 'TAKEN' exists already."


# --- listing ---------------------------------------------------------------------------


@pytest.fixture
def assorted(
    mgmt: Api, db: Database, application: dict[str, Any], campaign: dict[str, Any]
) -> dict[str, Any]:
    """Coupons in every state the filters tell apart."""
    text = (
        "value,startdate,expirydate,recipientintegrationid,limitval\n"
        "EXPIRED-1,,2001-01-01T00:00:00Z,,1\n"
        "NOW-2,2001-01-01T00:00:00Z,2099-01-01T00:00:00Z,alice,1\n"
        "FUTURE-3,2099-01-01T00:00:00Z,,,1\n"
        "USED-4,,,bob,2\n"
        "OPEN-5,,,,0\n"
    )
    assert import_csv(mgmt, application, campaign, text).status_code == 200
    set_counters(db, "USED-4", usage_counter=2, referral_id=77)
    set_counters(db, "OPEN-5", usage_counter=9)
    batch = make_coupons(mgmt, application, campaign, 1, couponPattern="GEN-####")[0]["batchId"]
    return {"batch": batch}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"value": "used4"}, {"USED-4"}),
        ({"value": "-"}, {"EXPIRED-1", "NOW-2", "FUTURE-3", "USED-4", "OPEN-5", "GEN"}),
        ({"value": "now-2", "exactMatch": "true"}, {"NOW-2"}),
        ({"value": "now", "exactMatch": "true"}, set()),
        ({"valid": "expired"}, {"EXPIRED-1"}),
        ({"valid": "validNow"}, {"NOW-2", "USED-4", "OPEN-5", "GEN"}),
        ({"valid": "validFuture"}, {"FUTURE-3"}),
        ({"usable": "true"}, {"EXPIRED-1", "NOW-2", "FUTURE-3", "OPEN-5", "GEN"}),
        ({"usable": "false"}, {"USED-4"}),
        ({"redeemed": "true"}, {"USED-4", "OPEN-5"}),
        ({"redeemed": "false"}, {"EXPIRED-1", "NOW-2", "FUTURE-3", "GEN"}),
        ({"recipientIntegrationId": "alice"}, {"NOW-2"}),
        ({"referralId": 77}, {"USED-4"}),
        ({"startsAfter": "2050-01-01T00:00:00Z"}, {"FUTURE-3"}),
        ({"startsBefore": "2050-01-01T00:00:00Z"}, {"NOW-2"}),
        ({"expiresBefore": "2050-01-01T00:00:00Z"}, {"EXPIRED-1"}),
        ({"expiresAfter": "2050-01-01T00:00:00Z"}, {"NOW-2"}),
        ({"createdAfter": "2099-01-01T00:00:00Z"}, set()),
        (
            {"createdBefore": "2099-01-01T00:00:00+05:00"},
            {"EXPIRED-1", "NOW-2", "FUTURE-3", "USED-4", "OPEN-5", "GEN"},
        ),
    ],
)
def test_list_filters(
    mgmt: Api,
    application: dict[str, Any],
    campaign: dict[str, Any],
    assorted: dict[str, Any],
    params: dict[str, Any],
    expected: set[str],
) -> None:
    found = codes(listed(mgmt, application, campaign, **params))

    assert {"GEN" if code.startswith("GEN-") else code for code in found} == expected


def test_list_filters_by_batch(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any], assorted: dict[str, Any]
) -> None:
    [coupon] = listed(mgmt, application, campaign, batchId=assorted["batch"])

    assert coupon["value"].startswith("GEN-")


def test_list_sorts_and_pages(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any], assorted: dict[str, Any]
) -> None:
    by_value = [c["value"] for c in listed(mgmt, application, campaign, sort="-value")]
    first = mgmt.get(url(application, campaign, "/coupons/no_total"), params={"pageSize": 4})
    rest = mgmt.get(
        url(application, campaign, "/coupons/no_total"), params={"pageSize": 4, "skip": 4}
    )

    assert by_value == sorted(by_value, reverse=True)
    assert first.json()["hasMore"] is True and len(first.json()["data"]) == 4
    assert rest.json()["hasMore"] is False and len(rest.json()["data"]) == 2
    used_first = listed(mgmt, application, campaign, sort="-usageCounter")
    assert [c["value"] for c in used_first[:2]] == ["OPEN-5", "USED-4"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"valid": "sometimes"}, "valid"),
        ({"usable": "yes"}, "usable"),
        ({"createdBefore": "yesterday"}, "createdBefore"),
        ({"pageSize": 1001}, "pageSize"),
        ({"sort": "color"}, "sort"),
        ({"referralId": 0}, "referralId"),
        ({"usable": "true", "redeemed": "false"}, "redeemed"),
    ],
)
def test_bad_list_parameters_are_a_400_naming_them(
    mgmt: Api,
    application: dict[str, Any],
    campaign: dict[str, Any],
    params: dict[str, Any],
    parameter: str,
) -> None:
    response = mgmt.get(url(application, campaign, "/coupons/no_total"), params=params)

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"] == {"parameter": parameter}


# --- updating and deleting -------------------------------------------------------------


def test_put_changes_what_it_names_and_clears_dates_and_recipient_left_out(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    define_coupon_attribute(mgmt)
    [coupon] = make_coupons(
        mgmt,
        application,
        campaign,
        usageLimit=3,
        discountLimit=10,
        startDate=PAST,
        expiryDate=FUTURE,
        recipientIntegrationId="alice",
        attributes={"color": "red"},
        isReservationMandatory=True,
    )
    coupon_url = url(application, campaign, f"/coupons/{coupon['id']}")

    response = mgmt.put(coupon_url, json={"usageLimit": 7, "implicitlyReserved": True})

    assert response.status_code == 200, response.text
    updated = response.json()
    assert {
        key: updated.get(key) for key in ("usageLimit", "discountLimit", "implicitlyReserved")
    } == {
        "usageLimit": 7,
        "discountLimit": 10,
        "implicitlyReserved": True,
    }
    assert updated["attributes"] == {"color": "red"} and updated["isReservationMandatory"] is True
    assert "startDate" not in updated and "expiryDate" not in updated
    assert "recipientIntegrationId" not in updated and updated["reservation"] is True
    assert updated["value"] == coupon["value"] and updated["id"] == coupon["id"]
    assert listed(mgmt, application, campaign) == [updated]


def test_refused_put_changes_nothing(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    [coupon] = make_coupons(mgmt, application, campaign, expiryDate=FUTURE)
    coupon_url = url(application, campaign, f"/coupons/{coupon['id']}")

    refusals = [
        mgmt.put(coupon_url, json={"startDate": FUTURE, "expiryDate": PAST}),
        mgmt.put(coupon_url, json={"attributes": {"unknown": True}}),
        mgmt.put(coupon_url, json={"usageLimit": -4}),
        mgmt.put(
            coupon_url,
            json={
                "recipientIntegrationId": "bob",
                "limits": [{"action": "redeemCoupon", "limit": 1, "entities": ["Profile"]}],
            },
        ),
    ]

    assert [response.status_code for response in refusals] == [400, 400, 400, 400]
    assert listed(mgmt, application, campaign) == [coupon]


def test_put_of_an_unknown_coupon_or_one_of_another_campaign_is_a_404(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    other = coupon_campaign(mgmt, application)
    [coupon] = make_coupons(mgmt, application, other)

    for coupon_id in (coupon["id"], 987654):
        coupon_url = url(application, campaign, f"/coupons/{coupon_id}")
        assert mgmt.put(coupon_url, json={"usageLimit": 2}).status_code == 404
        assert mgmt.delete(coupon_url).status_code == 404


def test_delete_removes_one_coupon(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    first, second = make_coupons(mgmt, application, campaign, 2)

    response = mgmt.delete(url(application, campaign, f"/coupons/{first['id']}"))

    assert response.status_code == 204
    assert listed(mgmt, application, campaign) == [second]
    assert mgmt.delete(url(application, campaign, f"/coupons/{first['id']}")).status_code == 404


def test_delete_with_filters_removes_the_matching_coupons_of_the_campaign(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any], assorted: dict[str, Any]
) -> None:
    other = coupon_campaign(mgmt, application)
    [kept] = make_coupons(mgmt, application, other)

    response = mgmt.delete(
        url(application, campaign), params={"valid": "validNow", "usable": "true"}
    )

    assert response.status_code == 204
    assert codes(listed(mgmt, application, campaign)) == {"EXPIRED-1", "FUTURE-3", "USED-4"}
    assert listed(mgmt, application, other) == [kept]
    assert mgmt.delete(url(application, campaign)).status_code == 204
    assert listed(mgmt, application, campaign) == []


def test_deleting_the_campaign_deletes_its_coupons(
    mgmt: Api, db: Database, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    make_coupons(mgmt, application, campaign, 3)

    mgmt.delete(f"/v1/applications/{application['id']}/campaigns/{campaign['id']}")

    assert stored(db)[0] == []


# --- exporting -------------------------------------------------------------------------


def exported(mgmt: Api, application: dict[str, Any], **params: Any) -> list[dict[str, str]]:
    response = mgmt.get(f"/v1/applications/{application['id']}/export_coupons", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_export_writes_talon_ones_columns(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    define_coupon_attribute(mgmt)
    [coupon] = make_coupons(
        mgmt,
        application,
        campaign,
        usageLimit=4,
        discountLimit=12.5,
        expiryDate=FUTURE,
        recipientIntegrationId="alice",
        attributes={"color": "blue"},
    )

    [row] = exported(mgmt, application)

    assert row == {
        "accountid": "1",
        "applicationid": str(application["id"]),
        "attributes": '{"color":"blue"}',
        "batchid": coupon["batchId"],
        "campaignid": str(campaign["id"]),
        "counter": "0",
        "created": coupon["created"],
        "deleted": "false",
        "deleted_changelogid": "0",
        "discount_counter": "0",
        "discount_limitval": "12.5",
        "expirydate": FUTURE,
        "id": str(coupon["id"]),
        "importid": "",
        "is_reservation_mandatory": "false",
        "limits": "[]",
        "limitval": "4",
        "recipientintegrationid": "alice",
        "referralid": "",
        "reservation": "false",
        "reservation_counter": "0",
        "reservation_limitval": "0",
        "startdate": "",
        "value": coupon["value"],
    }


def test_export_filters_and_walks_every_page(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    other = coupon_campaign(mgmt, application)
    many = make_coupons(mgmt, application, campaign, 1_500, validCharacters=list("0123456789"))
    make_coupons(mgmt, application, other, 2, couponPattern="ZZ-####", validCharacters=["A", "B"])

    everything = exported(mgmt, application)
    of_campaign = exported(mgmt, application, campaignId=campaign["id"])
    by_value = exported(mgmt, application, value="zz")

    assert len(everything) == 1_502
    assert {row["value"] for row in of_campaign} == codes(many)
    assert [row["id"] for row in of_campaign] == sorted((row["id"] for row in of_campaign), key=int)
    assert len(by_value) == 2


# --- keys, revisions, the SDK ----------------------------------------------------------


ENDPOINTS = [
    ("POST", "/coupons", {"numberOfCoupons": 1, "usageLimit": 1}),
    ("POST", "/coupons_async", {"numberOfCoupons": 1, "usageLimit": 1}),
    ("GET", "/coupons_async/{job}", None),
    ("POST", "/import_coupons", None),
    ("GET", "/coupons/no_total", None),
    ("PUT", "/coupons/{coupon}", {"usageLimit": 9}),
    ("DELETE", "/coupons/{coupon}", None),
    ("DELETE", "/coupons", None),
    ("GET", "/export_coupons", None),
]


@pytest.fixture
def world(mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]) -> dict[str, Any]:
    [coupon] = make_coupons(mgmt, application, campaign)
    body = {"numberOfCoupons": 1, "usageLimit": 1}
    job = mgmt.post(url(application, campaign, "/coupons_async"), json=body).json()
    wait_for_job(mgmt, url(application, campaign, f"/coupons_async/{job['id']}"))
    return {"coupon": coupon["id"], "job": job["id"]}


def endpoint_url(
    application: dict[str, Any], campaign: dict[str, Any], path: str, world: dict[str, Any]
) -> str:
    if path == "/export_coupons":
        return f"/v1/applications/{application['id']}/export_coupons"
    return url(application, campaign, path.format(**world))


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_key_without_access_to_the_application_is_refused(
    client: TestClient,
    db: Database,
    mgmt: Api,
    application: dict[str, Any],
    campaign: dict[str, Any],
    world: dict[str, Any],
    method: str,
    path: str,
    body: Any,
) -> None:
    elsewhere = create_application(mgmt)
    limited = limited_key(client, db, [elsewhere["id"]])
    before = stored(db)

    response = limited.request(method, endpoint_url(application, campaign, path, world), json=body)

    assert response.status_code == 403
    assert stored(db) == before


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_an_integration_key_opens_no_coupon_endpoint(
    client: TestClient,
    db: Database,
    mgmt: Api,
    application: dict[str, Any],
    campaign: dict[str, Any],
    world: dict[str, Any],
    method: str,
    path: str,
    body: Any,
) -> None:
    integration = Api(client, f"ApiKey-v1 {create_integration_key(mgmt, application['id'])}")
    before = stored(db)

    response = integration.request(
        method, endpoint_url(application, campaign, path, world), json=body
    )

    assert response.status_code == 401
    assert stored(db) == before


def test_every_change_bumps_the_application_revision(
    db: Database, mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    seen = [revision_of(db, application)]
    [coupon] = make_coupons(mgmt, application, campaign)
    seen.append(revision_of(db, application))
    assert import_csv(mgmt, application, campaign, "value\nIMPORTED\n").status_code == 200
    seen.append(revision_of(db, application))
    mgmt.put(url(application, campaign, f"/coupons/{coupon['id']}"), json={"usageLimit": 3})
    seen.append(revision_of(db, application))
    mgmt.delete(url(application, campaign, f"/coupons/{coupon['id']}"))
    seen.append(revision_of(db, application))
    mgmt.delete(url(application, campaign))
    seen.append(revision_of(db, application))
    job = mgmt.post(
        url(application, campaign, "/coupons_async"), json={"numberOfCoupons": 1, "usageLimit": 1}
    ).json()
    wait_for_job(mgmt, url(application, campaign, f"/coupons_async/{job['id']}"))
    seen.append(revision_of(db, application))
    assert mgmt.post(url(application, campaign), json={"numberOfCoupons": 0}).status_code == 400

    assert seen == sorted(set(seen))
    assert revision_of(db, application) == seen[-1]


def sdk(body: Any, model: str) -> Any:
    class Response:
        data = json.dumps(body)

    return talon_one.ApiClient().deserialize(Response(), model)


def test_answers_read_as_the_sdks_models(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    created = mgmt.post(
        url(application, campaign),
        params={"silent": "no"},
        json={"numberOfCoupons": 2, "usageLimit": 1, "discountLimit": 5, "expiryDate": FUTURE},
    ).json()
    page = mgmt.get(url(application, campaign, "/coupons/no_total")).json()
    job = mgmt.post(
        url(application, campaign, "/coupons_async"), json={"numberOfCoupons": 1, "usageLimit": 1}
    ).json()
    done = import_csv(mgmt, application, campaign, "value\nSDK-CODE\n").json()

    assert sdk(created, "InlineResponse20010").data[0].discount_remainder == 5
    assert sdk(page, "InlineResponse20011").data[0].expiry_date.year == 2099
    assert sdk(job, "AsyncCouponCreationResponse").batch_id == job["batchId"]
    assert sdk(done, "ModelImport").amount == 1
    wait_for_job(mgmt, url(application, campaign, f"/coupons_async/{job['id']}"))
