"""…/campaign_evaluation_groups and …/campaign_set: the evaluation tree of an application,
its root group, nesting, and the order of campaigns and groups."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carrot.store.db import Database
from tests.api.management.test_campaigns import (
    campaigns_url,
    create_campaign,
    limited_key,
    revision_of,
)
from tests.conftest import Api, create_application


def groups_url(application: dict[str, Any]) -> str:
    return f"/v1/applications/{application['id']}/campaign_evaluation_groups"


def set_url(application: dict[str, Any]) -> str:
    return f"/v1/applications/{application['id']}/campaign_set"


def create_group(mgmt: Api, application: dict[str, Any], **fields: Any) -> dict[str, Any]:
    response = mgmt.post(groups_url(application), json={"name": "group", **fields})
    assert response.status_code == 201, response.text
    group: dict[str, Any] = response.json()
    return group


def root_of(mgmt: Api, application: dict[str, Any]) -> dict[str, Any]:
    [root] = [
        group
        for group in mgmt.get(groups_url(application)).json()["data"]
        if "parentId" not in group
    ]
    return root


def campaign_leaf(campaign: dict[str, Any]) -> dict[str, Any]:
    return {"type": "CAMPAIGN", "campaignId": campaign["id"]}


def branch(group: dict[str, Any], *elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "SET", "groupId": group["id"], "elements": list(elements)}


def test_root_group_is_created_with_the_application(mgmt: Api, application: dict[str, Any]) -> None:
    listed = mgmt.get(groups_url(application)).json()

    assert listed["totalResultSize"] == 1
    [root] = listed["data"]
    assert root == {
        "applicationId": application["id"],
        "name": "default",
        "description": "",
        "evaluationMode": "stackable",
        "evaluationScope": "session",
        "locked": False,
        "id": root["id"],
    }
    assert application["defaultEvaluationGroupId"] == root["id"]
    assert create_campaign(mgmt, application)["evaluationGroupId"] == root["id"]
    assert mgmt.get(groups_url(application)).json()["data"] == [root]


def test_created_group_reads_back_under_the_root_by_default(
    mgmt: Api, application: dict[str, Any]
) -> None:
    fields = {
        "name": "best discount wins",
        "description": "one of these",
        "evaluationMode": "highestDiscount",
        "evaluationScope": "cartItem",
        "locked": True,
    }

    created = create_group(mgmt, application, **fields)

    assert {key: created[key] for key in fields} == fields
    assert created["parentId"] == root_of(mgmt, application)["id"]
    assert created["applicationId"] == application["id"]
    assert mgmt.get(f"{groups_url(application)}/{created['id']}").json() == created


def test_campaign_can_be_created_in_a_group(mgmt: Api, application: dict[str, Any]) -> None:
    group = create_group(mgmt, application, evaluationMode="listOrder")

    campaign = create_campaign(mgmt, application, evaluationGroupId=group["id"])

    assert campaign["evaluationGroupId"] == group["id"]


def test_groups_nest_at_most_two_levels_below_the_root(
    mgmt: Api, application: dict[str, Any]
) -> None:
    first = create_group(mgmt, application)
    second = create_group(mgmt, application, parentId=first["id"])

    response = mgmt.post(groups_url(application), json={"name": "deep", "parentId": second["id"]})

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/parentId"
    assert mgmt.get(groups_url(application)).json()["totalResultSize"] == 3


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"name": ""}, "/name"),
        ({"name": None}, "/name"),
        ({"evaluationMode": "random"}, "/evaluationMode"),
        ({"evaluationScope": "profile"}, "/evaluationScope"),
        ({"locked": "yes"}, "/locked"),
        ({"parentId": 0}, "/parentId"),
        ({"parentId": "1"}, "/parentId"),
        ({"parentId": 987654}, "/parentId"),
        ({"description": 5}, "/description"),
    ],
)
def test_invalid_group_is_a_400_naming_the_field(
    mgmt: Api, application: dict[str, Any], fields: dict[str, Any], pointer: str
) -> None:
    response = mgmt.post(groups_url(application), json={"name": "group", **fields})

    assert response.status_code == 400, response.text
    assert pointer in [error["source"]["pointer"] for error in response.json()["errors"]]
    assert mgmt.get(groups_url(application)).json()["totalResultSize"] == 1


def test_parent_in_another_application_is_refused(mgmt: Api) -> None:
    one, other = create_application(mgmt), create_application(mgmt)
    foreign = create_group(mgmt, other)

    response = mgmt.post(groups_url(one), json={"name": "g", "parentId": foreign["id"]})

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/parentId"


@pytest.mark.parametrize(
    "body",
    [
        [],
        "group",
        {"name": {"x": 1}},
        {"name": "x", "parentId": 2**80},
        {"name": "x", "evaluationMode": ["stackable"]},
        {"name": "x\u0000"},
    ],
)
def test_junk_group_bodies_are_refused_without_server_errors(
    mgmt: Api, application: dict[str, Any], body: Any
) -> None:
    group = create_group(mgmt, application)

    created = mgmt.post(groups_url(application), json=body)
    updated = mgmt.put(f"{groups_url(application)}/{group['id']}", json=body)

    assert (created.status_code, updated.status_code) == (400, 400)
    assert mgmt.get(f"{groups_url(application)}/{group['id']}").json() == group
    assert mgmt.get(groups_url(application)).json()["totalResultSize"] == 2


def test_put_replaces_the_groups_settings(mgmt: Api, application: dict[str, Any]) -> None:
    group = create_group(mgmt, application, description="old", locked=True)

    response = mgmt.put(
        f"{groups_url(application)}/{group['id']}",
        json={"name": "renamed", "evaluationMode": "lowestDiscount"},
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        **group,
        "name": "renamed",
        "description": "",
        "locked": False,
        "evaluationMode": "lowestDiscount",
    }


def test_put_moves_a_group_within_the_depth_limit(mgmt: Api, application: dict[str, Any]) -> None:
    first, second = create_group(mgmt, application), create_group(mgmt, application)
    child = create_group(mgmt, application, parentId=first["id"])

    def move(group: dict[str, Any], parent: dict[str, Any]) -> Any:
        url = f"{groups_url(application)}/{group['id']}"
        return mgmt.put(url, json={"name": group["name"], "parentId": parent["id"]})

    moved = move(child, second)
    too_deep = move(second, first)
    into_its_child = move(second, child)
    emptied_moves_down = move(first, second)

    assert moved.status_code == 200 and moved.json()["parentId"] == second["id"]
    assert too_deep.status_code == into_its_child.status_code == 400
    assert too_deep.json()["errors"][0]["source"]["pointer"] == "/parentId"
    assert emptied_moves_down.status_code == 200
    assert emptied_moves_down.json()["parentId"] == second["id"]


def test_group_with_children_cannot_move_too_deep(mgmt: Api, application: dict[str, Any]) -> None:
    first, second = create_group(mgmt, application), create_group(mgmt, application)
    create_group(mgmt, application, parentId=first["id"])

    response = mgmt.put(
        f"{groups_url(application)}/{first['id']}", json={"name": "f", "parentId": second["id"]}
    )

    assert response.status_code == 400
    assert (
        mgmt.get(f"{groups_url(application)}/{first['id']}").json()["parentId"]
        == (root_of(mgmt, application)["id"])
    )


def test_root_group_keeps_its_place_mode_and_scope(mgmt: Api, application: dict[str, Any]) -> None:
    root = root_of(mgmt, application)
    other = create_group(mgmt, application)
    url = f"{groups_url(application)}/{root['id']}"

    renamed = mgmt.put(url, json={"name": "everything", "locked": True})
    moded = mgmt.put(url, json={"name": "x", "evaluationMode": "listOrder"})
    scoped = mgmt.put(url, json={"name": "x", "evaluationScope": "cartItem"})
    parented = mgmt.put(url, json={"name": "x", "parentId": other["id"]})
    deleted = mgmt.delete(url)

    assert renamed.status_code == 200 and renamed.json()["name"] == "everything"
    assert [response.status_code for response in (moded, scoped, parented)] == [400] * 3
    assert moded.json()["errors"][0]["source"]["pointer"] == "/evaluationMode"
    assert scoped.json()["errors"][0]["source"]["pointer"] == "/evaluationScope"
    assert parented.json()["errors"][0]["source"]["pointer"] == "/parentId"
    assert deleted.status_code == 409
    assert mgmt.get(url).json() == renamed.json()


def test_group_holding_campaigns_or_groups_cannot_be_deleted(
    mgmt: Api, application: dict[str, Any]
) -> None:
    holding_campaign = create_group(mgmt, application)
    create_campaign(mgmt, application, evaluationGroupId=holding_campaign["id"])
    holding_group = create_group(mgmt, application)
    create_group(mgmt, application, parentId=holding_group["id"])
    empty = create_group(mgmt, application)

    assert mgmt.delete(f"{groups_url(application)}/{holding_campaign['id']}").status_code == 409
    assert mgmt.delete(f"{groups_url(application)}/{holding_group['id']}").status_code == 409
    assert mgmt.delete(f"{groups_url(application)}/{empty['id']}").status_code == 204
    assert mgmt.get(f"{groups_url(application)}/{empty['id']}").status_code == 404
    assert mgmt.get(groups_url(application)).json()["totalResultSize"] == 4


def test_groups_are_listed_page_by_page(mgmt: Api, application: dict[str, Any]) -> None:
    ids = [create_group(mgmt, application, name=f"g{i}")["id"] for i in range(3)]

    page = mgmt.get(groups_url(application), params={"pageSize": 2, "skip": 1}).json()

    assert page["totalResultSize"] == 4
    assert [group["id"] for group in page["data"]] == ids[:2]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_group_of_another_application_is_not_found_here(mgmt: Api, method: str) -> None:
    one, other = create_application(mgmt), create_application(mgmt)
    foreign = create_group(mgmt, other)

    response = mgmt.request(method, f"{groups_url(one)}/{foreign['id']}", json={"name": "x"})

    assert response.status_code == 404
    assert mgmt.get(f"{groups_url(other)}/{foreign['id']}").json() == foreign


def test_deleting_the_application_deletes_its_tree(mgmt: Api, application: dict[str, Any]) -> None:
    group = create_group(mgmt, application)
    create_group(mgmt, application, parentId=group["id"])
    create_campaign(mgmt, application, evaluationGroupId=group["id"])

    assert mgmt.delete(f"/v1/applications/{application['id']}").status_code == 204
    assert mgmt.get(f"{groups_url(application)}/{group['id']}").status_code == 404


# --- campaign set ----------------------------------------------------------------------


def test_campaign_set_shows_the_tree_in_talon_ones_shape(
    mgmt: Api, application: dict[str, Any]
) -> None:
    first = create_campaign(mgmt, application)
    group = create_group(mgmt, application, name="exclusive", evaluationMode="listOrder")
    inner = create_campaign(mgmt, application, evaluationGroupId=group["id"])
    last = create_campaign(mgmt, application)
    root = root_of(mgmt, application)

    campaign_set = mgmt.get(set_url(application)).json()

    assert campaign_set == {
        "applicationId": application["id"],
        "id": campaign_set["id"],
        "version": campaign_set["version"],
        "set": {
            "type": "SET",
            "name": "default",
            "operator": "ALL",
            "elements": [
                campaign_leaf(first),
                {
                    "type": "SET",
                    "name": "exclusive",
                    "operator": "ALL",
                    "elements": [campaign_leaf(inner)],
                    "groupId": group["id"],
                    "locked": False,
                    "description": "",
                    "evaluationMode": "listOrder",
                    "evaluationScope": "session",
                },
                campaign_leaf(last),
            ],
            "groupId": root["id"],
            "locked": False,
            "description": "",
            "evaluationMode": "stackable",
            "evaluationScope": "session",
        },
    }


def test_put_campaign_set_reorders_and_moves_campaigns(
    mgmt: Api, application: dict[str, Any]
) -> None:
    first, second = create_campaign(mgmt, application), create_campaign(mgmt, application)
    group = create_group(mgmt, application)
    sub = create_group(mgmt, application, parentId=group["id"])
    root = root_of(mgmt, application)
    before = mgmt.get(set_url(application)).json()
    tree = branch(
        root,
        branch(group, branch(sub, campaign_leaf(first))),
        campaign_leaf(second),
    )

    response = mgmt.put(set_url(application), json={**before, "set": tree})

    assert response.status_code == 200, response.text
    after = response.json()
    assert after["version"] == before["version"] + 1 and after["id"] == before["id"]
    assert mgmt.get(set_url(application)).json() == after
    [moved_group, leaf] = after["set"]["elements"]
    assert leaf == campaign_leaf(second)
    assert moved_group["groupId"] == group["id"]
    assert moved_group["elements"][0]["elements"] == [campaign_leaf(first)]
    campaign = mgmt.get(f"{campaigns_url(application)}/{first['id']}").json()
    assert campaign["evaluationGroupId"] == sub["id"]


def test_put_campaign_set_reparents_groups(mgmt: Api, application: dict[str, Any]) -> None:
    outer, inner = create_group(mgmt, application), create_group(mgmt, application)
    root = root_of(mgmt, application)

    response = mgmt.put(
        set_url(application), json={"set": branch(root, branch(outer, branch(inner)))}
    )

    assert response.status_code == 200, response.text
    assert mgmt.get(f"{groups_url(application)}/{inner['id']}").json()["parentId"] == outer["id"]


@pytest.mark.parametrize(
    ("case", "pointer"),
    [
        ("left_out_campaign", "/set"),
        ("left_out_group", "/set"),
        ("campaign_twice", "/set/elements/2/campaignId"),
        ("group_twice", "/set/elements/2/groupId"),
        ("unknown_campaign", "/set/elements/0/campaignId"),
        ("foreign_group", "/set/elements/1/groupId"),
        ("root_not_on_top", "/set/groupId"),
        ("root_nested", "/set/elements/1/groupId"),
        ("too_deep", "/set/elements/1/elements/0/elements/0/groupId"),
        ("operator_first", "/set/operator"),
        ("element_of_unknown_type", "/set/elements/0"),
        ("elements_not_a_list", "/set/elements"),
        ("set_not_an_object", "/set"),
        ("set_missing", "/set"),
        ("other_application", "/applicationId"),
        ("other_set_id", "/id"),
        ("version_not_a_number", "/version"),
    ],
)
def test_invalid_campaign_set_is_a_400_and_changes_nothing(
    mgmt: Api, case: str, pointer: str
) -> None:
    application, other = create_application(mgmt), create_application(mgmt)
    campaign = create_campaign(mgmt, application)
    group = create_group(mgmt, application)
    child = create_group(mgmt, application, parentId=group["id"])
    grandchild_parent = create_group(mgmt, application)
    foreign = create_group(mgmt, other)
    root = root_of(mgmt, application)
    leaf = campaign_leaf(campaign)
    full = [leaf, branch(group, branch(child)), branch(grandchild_parent)]
    trees: dict[str, Any] = {
        "left_out_campaign": {"set": branch(root, *full[1:])},
        "left_out_group": {"set": branch(root, leaf, branch(group), full[2])},
        "campaign_twice": {"set": branch(root, *full[:2], leaf, full[2])},
        "group_twice": {"set": branch(root, *full[:2], branch(child), full[2])},
        "unknown_campaign": {
            "set": branch(root, {"type": "CAMPAIGN", "campaignId": 4242}, *full[1:])
        },
        "foreign_group": {"set": branch(root, leaf, branch(foreign), *full[1:])},
        "root_not_on_top": {"set": branch(group, leaf)},
        "root_nested": {"set": branch(root, leaf, branch(root))},
        "too_deep": {
            "set": branch(
                root,
                leaf,
                branch(group, branch(grandchild_parent, branch(child))),
            )
        },
        "operator_first": {"set": {**branch(root, *full), "operator": "FIRST"}},
        "element_of_unknown_type": {"set": branch(root, {"type": "COUPON"}, *full[1:])},
        "elements_not_a_list": {"set": {**branch(root), "elements": {}}},
        "set_not_an_object": {"set": [root["id"]]},
        "set_missing": {"version": 1},
        "other_application": {"applicationId": other["id"], "set": branch(root, *full)},
        "other_set_id": {"id": 987654, "set": branch(root, *full)},
        "version_not_a_number": {"version": "1", "set": branch(root, *full)},
    }
    before = mgmt.get(set_url(application)).json()

    response = mgmt.put(set_url(application), json=trees[case])

    assert response.status_code == 400, response.text
    assert pointer in [error["source"]["pointer"] for error in response.json()["errors"]]
    assert mgmt.get(set_url(application)).json() == before
    assert mgmt.put(set_url(application), json={"set": branch(root, *full)}).status_code == 200


def test_put_campaign_set_of_an_older_version_is_a_conflict(
    mgmt: Api, application: dict[str, Any]
) -> None:
    stale = mgmt.get(set_url(application)).json()
    create_campaign(mgmt, application)
    current = mgmt.get(set_url(application)).json()

    response = mgmt.put(set_url(application), json=current | {"version": stale["version"]})

    assert response.status_code == 409
    assert response.json()["errors"][0]["source"]["pointer"] == "/version"
    assert mgmt.get(set_url(application)).json() == current


@pytest.mark.parametrize(
    "body",
    [[], "set", 7, {"set": None}, {"set": {"type": "SET", "groupId": True}}, {"set": [[[]]]}],
)
def test_junk_campaign_sets_are_refused_without_server_errors(
    mgmt: Api, application: dict[str, Any], body: Any
) -> None:
    create_campaign(mgmt, application)
    before = mgmt.get(set_url(application)).json()

    response = mgmt.put(
        set_url(application), content=json.dumps(body), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400, response.text
    assert mgmt.get(set_url(application)).json() == before


# --- access and freshness --------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/campaign_evaluation_groups"),
        ("GET", "/campaign_evaluation_groups"),
        ("GET", "/campaign_evaluation_groups/{group}"),
        ("PUT", "/campaign_evaluation_groups/{group}"),
        ("DELETE", "/campaign_evaluation_groups/{group}"),
        ("GET", "/campaign_set"),
        ("PUT", "/campaign_set"),
    ],
)
def test_key_without_access_to_the_application_is_refused(
    client: TestClient,
    db: Database,
    mgmt: Api,
    application: dict[str, Any],
    method: str,
    path: str,
) -> None:
    group = create_group(mgmt, application)
    before = mgmt.get(set_url(application)).json()
    limited = limited_key(client, db, [create_application(mgmt)["id"]])
    url = f"/v1/applications/{application['id']}" + path.format(group=group["id"])

    response = limited.request(method, url, json={"name": "x", "set": before["set"]})

    assert response.status_code == 403
    assert mgmt.get(set_url(application)).json() == before


def test_every_change_to_the_tree_bumps_the_revision(
    db: Database, mgmt: Api, application: dict[str, Any]
) -> None:
    def revision() -> int:
        return revision_of(db, application)

    seen = [revision()]
    group = create_group(mgmt, application)
    seen.append(revision())
    mgmt.put(f"{groups_url(application)}/{group['id']}", json={"name": "renamed"})
    seen.append(revision())
    campaign_set = mgmt.get(set_url(application)).json()
    assert revision() == seen[-1]
    mgmt.put(set_url(application), json=campaign_set)
    seen.append(revision())
    mgmt.delete(f"{groups_url(application)}/{group['id']}")
    seen.append(revision())

    assert seen == sorted(set(seen))
