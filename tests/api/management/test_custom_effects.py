"""POST|GET|PUT|DELETE /v1/custom_effects: account-wide effect definitions, their payload
templates, and the applications whose rules they change."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carrot.store.campaigns import load_evaluation_setup
from carrot.store.db import Database
from tests.api.management.test_campaigns import limited_key, revision_of
from tests.conftest import Api, create_application

URL = "/v1/custom_effects"
MINUTES = {"type": "number", "title": "Minutes", "key": "minutes", "description": "awarded"}


def body_for(application_ids: list[int], **fields: Any) -> dict[str, Any]:
    return {
        "applicationIds": application_ids,
        "name": "award_minutes",
        "title": "Award minutes",
        "payload": '{"minutes": ${$minutes}, "note": "gift of ${$minutes}"}',
        "params": [MINUTES],
        **fields,
    }


def create_effect(mgmt: Api, application_ids: list[int], **fields: Any) -> dict[str, Any]:
    response = mgmt.post(URL, json=body_for(application_ids, **fields))
    assert response.status_code == 201, response.text
    effect: dict[str, Any] = response.json()
    return effect


def test_created_custom_effect_reads_back_in_talon_ones_shape(
    mgmt: Api, application: dict[str, Any]
) -> None:
    params = [
        {**MINUTES, "ui": {"widget": "slider", "max": 60}, "picklistId": 3},
        {"type": "string", "title": "reason", "description": "", "ui": {}},
    ]
    body = body_for(
        [application["id"]],
        isPerItem=True,
        description="minutes of free riding",
        enabled=False,
        params=params,
        payload='{"minutes": ${$minutes}, "why": "${$reason}"}',
    )

    response = mgmt.post(URL, json=body)

    assert response.status_code == 201, response.text
    created = response.json()
    assert created == {
        "id": created["id"],
        "created": created["created"],
        "accountId": 1,
        "modified": created["created"],
        "applicationIds": [application["id"]],
        "isPerItem": True,
        "name": "award_minutes",
        "title": "Award minutes",
        "payload": '{"minutes": ${$minutes}, "why": "${$reason}"}',
        "description": "minutes of free riding",
        "enabled": False,
        "params": params,
        "createdBy": created["createdBy"],
    }
    assert mgmt.get(f"{URL}/{created['id']}").json() == created


def test_defaults_of_a_custom_effect(mgmt: Api) -> None:
    created = create_effect(mgmt, [], payload="{}", params=[])

    assert (created["isPerItem"], created["enabled"], created["description"]) == (
        False,
        True,
        "",
    )
    assert (created["applicationIds"], created["params"]) == ([], [])


def test_name_is_unique_in_the_account(mgmt: Api) -> None:
    first = create_effect(mgmt, [])
    second = create_effect(mgmt, [], name="other")

    again = mgmt.post(URL, json=body_for([]))
    renamed = mgmt.put(f"{URL}/{second['id']}", json=body_for([]))

    assert again.status_code == renamed.status_code == 409
    assert again.json()["errors"][0]["source"]["pointer"] == "/name"
    assert mgmt.get(f"{URL}/{second['id']}").json() == second
    assert mgmt.put(f"{URL}/{first['id']}", json=body_for([])).status_code == 200


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"name": "2fast"}, "/name"),
        ({"name": "award-minutes"}, "/name"),
        ({"name": ""}, "/name"),
        ({"title": " leading space"}, "/title"),
        ({"title": "two\nlines"}, "/title"),
        ({"applicationIds": [987654]}, "/applicationIds/0"),
        ({"applicationIds": ["1"]}, "/applicationIds/0"),
        ({"applicationIds": None}, "/applicationIds"),
        ({"payload": None}, "/payload"),
        ({"payload": ""}, "/payload"),
        ({"payload": '{"minutes": ${$minute}}'}, "/payload"),
        ({"payload": '{"minutes": ${$Minutes}}'}, "/payload"),
        ({"payload": '{"minutes": ${$minutes}'}, "/payload"),
        ({"payload": "minutes"}, "/payload"),
        ({"enabled": "yes"}, "/enabled"),
        ({"isPerItem": 1}, "/isPerItem"),
        ({"params": [{**MINUTES, "type": "date"}]}, "/params/0/type"),
        ({"params": [{"type": "number", "key": "minutes"}]}, "/params/0/title"),
        ({"params": [{**MINUTES, "key": "has space"}]}, "/params/0/key"),
        ({"params": [MINUTES, {**MINUTES, "title": "Other"}]}, "/params/1/key"),
        ({"params": [{**MINUTES, "ui": {"label": "\u0000"}}]}, "/params/0/ui"),
        ({"params": [{**MINUTES, "ui": []}]}, "/params/0/ui"),
        ({"params": "minutes"}, "/params"),
    ],
)
def test_invalid_custom_effect_is_a_400_naming_the_field(
    mgmt: Api, fields: dict[str, Any], pointer: str
) -> None:
    response = mgmt.post(URL, json=body_for([], **fields))

    assert response.status_code == 400, response.text
    assert pointer in [error["source"]["pointer"] for error in response.json()["errors"]]
    assert mgmt.get(URL).json()["totalResultSize"] == 0


def test_a_param_without_key_is_named_by_its_title(mgmt: Api) -> None:
    params = [{"type": "string", "title": "code", "ui": {}}]

    created = create_effect(mgmt, [], params=params, payload='{"code": "${$code}"}')

    assert created["params"] == [{"type": "string", "title": "code", "description": "", "ui": {}}]


@pytest.mark.parametrize(
    "body",
    [
        [],
        "effect",
        None,
        {"name": {"a": 1}},
        {**body_for([]), "params": [None, 3]},
        {**body_for([]), "applicationIds": [2**64]},
        {**body_for([]), "payload": "\ud800"},
    ],
)
def test_junk_custom_effect_bodies_are_refused_without_server_errors(mgmt: Api, body: Any) -> None:
    effect = create_effect(mgmt, [], name="kept")
    # json.dumps escapes what is not ASCII, so a lone surrogate travels as \\ud800.
    content = json.dumps(body)
    headers = {"Content-Type": "application/json"}

    created = mgmt.post(URL, content=content, headers=headers)
    updated = mgmt.put(f"{URL}/{effect['id']}", content=content, headers=headers)

    assert (created.status_code, updated.status_code) == (400, 400)
    assert mgmt.get(URL).json()["data"] == [effect]


def test_put_replaces_the_effect_and_delete_removes_it(
    mgmt: Api, application: dict[str, Any]
) -> None:
    created = create_effect(mgmt, [application["id"]], description="old", isPerItem=True)
    url = f"{URL}/{created['id']}"

    response = mgmt.put(url, json=body_for([], title="Minutes", payload="{}", params=[]))

    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["title"], updated["description"], updated["isPerItem"]) == (
        "Minutes",
        "",
        False,
    )
    assert (updated["applicationIds"], updated["params"]) == ([], [])
    assert updated["created"] == created["created"]
    assert updated["modified"] >= created["modified"] and "modifiedBy" in updated
    assert mgmt.get(url).json() == updated
    assert mgmt.delete(url).status_code == 204
    assert mgmt.get(url).status_code == 404
    assert mgmt.delete(url).status_code == 404


def test_custom_effects_are_listed_page_by_page(mgmt: Api) -> None:
    ids = [create_effect(mgmt, [], name=f"effect_{i}")["id"] for i in range(3)]

    page = mgmt.get(URL, params={"pageSize": 2, "skip": 1}).json()

    assert page["totalResultSize"] == 3
    assert [effect["id"] for effect in page["data"]] == ids[1:]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_unknown_custom_effect_is_a_404(mgmt: Api, method: str) -> None:
    assert mgmt.request(method, f"{URL}/4242", json=body_for([])).status_code == 404


def test_limited_key_touches_only_effects_of_its_applications(
    client: TestClient, db: Database, mgmt: Api
) -> None:
    mine, other = create_application(mgmt), create_application(mgmt)
    limited = limited_key(client, db, [mine["id"]])
    everywhere = create_effect(mgmt, [], name="everywhere")
    elsewhere = create_effect(mgmt, [other["id"]], name="elsewhere")

    for_all = limited.post(URL, json=body_for([], name="mine"))
    for_other = limited.post(URL, json=body_for([mine["id"], other["id"]], name="mine"))
    changed = limited.put(f"{URL}/{elsewhere['id']}", json=body_for([mine["id"]]))
    taken_over = limited.put(f"{URL}/{everywhere['id']}", json=body_for([mine["id"]]))
    deleted = limited.delete(f"{URL}/{elsewhere['id']}")
    own = limited.post(URL, json=body_for([mine["id"]], name="mine"))

    assert [r.status_code for r in (for_all, for_other, changed, taken_over, deleted)] == [403] * 5
    assert own.status_code == 201
    assert limited.get(URL).json()["totalResultSize"] == 3
    assert mgmt.get(f"{URL}/{elsewhere['id']}").json() == elsewhere
    assert mgmt.get(f"{URL}/{everywhere['id']}").json() == everywhere


def test_changes_bump_every_application_the_effect_applies_to(db: Database, mgmt: Api) -> None:
    one, two = create_application(mgmt), create_application(mgmt)

    def revisions() -> tuple[int, int]:
        return revision_of(db, one), revision_of(db, two)

    start = revisions()
    effect = create_effect(mgmt, [one["id"]])
    after_create = revisions()
    mgmt.put(f"{URL}/{effect['id']}", json=body_for([two["id"]]))
    after_move = revisions()
    mgmt.put(f"{URL}/{effect['id']}", json=body_for([]))
    after_widen = revisions()
    mgmt.delete(f"{URL}/{effect['id']}")
    after_delete = revisions()

    assert after_create == (start[0] + 1, start[1])
    assert after_move == (after_create[0] + 1, after_create[1] + 1)
    assert after_widen == (after_move[0] + 1, after_move[1] + 1)
    assert after_delete == (after_widen[0] + 1, after_widen[1] + 1)


def test_evaluation_setup_holds_the_enabled_effects_of_the_application(
    db: Database, mgmt: Api
) -> None:
    one, two = create_application(mgmt), create_application(mgmt)
    everywhere = create_effect(mgmt, [], name="everywhere")
    create_effect(mgmt, [two["id"]], name="elsewhere")
    create_effect(mgmt, [one["id"]], name="switched_off", enabled=False)
    here = create_effect(
        mgmt,
        [one["id"]],
        name="here",
        isPerItem=True,
        params=[{"type": "string", "title": "code", "ui": {}}],
        payload='{"code": "${$code}"}',
    )

    with db.read() as conn:
        setup = load_evaluation_setup(conn, one["id"])

    assert [effect.id for effect in setup.custom_effects] == [everywhere["id"], here["id"]]
    effect = setup.custom_effects[1]
    assert (effect.name, effect.payload, effect.is_per_item) == (
        "here",
        '{"code": "${$code}"}',
        True,
    )
    assert [(param.name, param.type) for param in effect.params] == [("code", "string")]
