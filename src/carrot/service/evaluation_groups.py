"""The evaluation tree of an application: campaign evaluation groups nested at most two
levels below a root group (created on first need), and the order of campaigns and
subgroups inside each group, read and rewritten as Talon.One's CampaignSet."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection, Row

from carrot.domain.campaign import EvaluationGroup, EvaluationMode, EvaluationScope
from carrot.domain.errors import Conflict, NotFound, Problem
from carrot.service.attributes import invalid
from carrot.service.clock import utcnow
from carrot.service.keys import ManagementCaller, load_application
from carrot.store import campaigns as store
from carrot.store import tables
from carrot.store.db import Database

MAX_DEPTH = 2  # levels of groups below the root


@dataclass(frozen=True)
class GroupSettings:
    """NewCampaignEvaluationGroup. `parent_id` None: the root on create, the current parent
    on update."""

    name: str
    parent_id: int | None = None
    description: str = ""
    evaluation_mode: str = EvaluationMode.STACKABLE.value
    evaluation_scope: str = EvaluationScope.SESSION.value
    locked: bool = False


@dataclass(frozen=True)
class SetLeaf:
    campaign_id: int


@dataclass(frozen=True)
class SetBranch:
    group: EvaluationGroup
    elements: list[SetBranch | SetLeaf] = field(default_factory=list)


@dataclass(frozen=True)
class CampaignSet:
    id: int
    application_id: int
    version: int
    root: SetBranch


@dataclass(frozen=True)
class CampaignSetUpdate:
    """The body of PUT …/campaign_set: `tree` is the `set` sent, as any JSON."""

    tree: Any
    application_id: int | None = None
    id: int | None = None
    version: int | None = None


# --- groups ----------------------------------------------------------------------------


def default_evaluation_group_id(db: Database, caller: ManagementCaller, application_id: int) -> int:
    """The application's root group (Talon.One's `defaultEvaluationGroupId`), created on
    first need."""
    caller.check_application(application_id)
    with db.read() as conn:
        load_application(conn, caller.account_id, application_id)
        root = store.root_group_id(conn, application_id)
    if root is not None:
        return root
    with db.write() as conn:
        store.lock_application(conn, caller.account_id, application_id)
        return store.ensure_root_group(conn, application_id, utcnow())


def create_group(
    db: Database, caller: ManagementCaller, application_id: int, settings: GroupSettings
) -> EvaluationGroup:
    caller.check_application(application_id)
    with db.write() as conn:
        store.lock_application(conn, caller.account_id, application_id)
        now = utcnow()
        root = store.ensure_root_group(conn, application_id, now)
        parent_id = settings.parent_id or root
        tree = _Tree(store.group_rows(conn, application_id))
        problems = tree.parent_problems(parent_id, moved=None)
        if problems:
            raise invalid(problems)
        group_id = conn.execute(
            tables.campaign_evaluation_groups.insert()
            .values(
                application_id=application_id,
                parent_id=parent_id,
                position=store.next_position(conn, parent_id),
                created=now,
                **_columns(settings),
            )
            .returning(tables.campaign_evaluation_groups.c.id)
        ).scalar_one()
        _tree_changed(conn, application_id)
        return _group(conn, application_id, group_id)


def list_groups(
    db: Database, caller: ManagementCaller, application_id: int, *, page_size: int, skip: int
) -> tuple[int, list[EvaluationGroup]]:
    """Every group of the application, the root first, then in creation order."""
    default_evaluation_group_id(db, caller, application_id)
    with db.read() as conn:
        groups = [store.group_from_row(row) for row in store.group_rows(conn, application_id)]
    return len(groups), groups[skip : skip + page_size]


def get_group(
    db: Database, caller: ManagementCaller, application_id: int, group_id: int
) -> EvaluationGroup:
    caller.check_application(application_id)
    with db.read() as conn:
        load_application(conn, caller.account_id, application_id)
        return _group(conn, application_id, group_id)


def update_group(
    db: Database,
    caller: ManagementCaller,
    application_id: int,
    group_id: int,
    settings: GroupSettings,
) -> EvaluationGroup:
    """A full update; a group left without `parentId` stays where it is. The root group keeps
    no parent, and evaluates every campaign of the session (stackable, session)."""
    caller.check_application(application_id)
    with db.write() as conn:
        store.lock_application(conn, caller.account_id, application_id)
        current = _group_row(conn, application_id, group_id)
        values = _columns(settings)
        if current.parent_id is None:
            problems = _root_problems(settings)
        else:
            parent_id = settings.parent_id or current.parent_id
            tree = _Tree(store.group_rows(conn, application_id))
            problems = tree.parent_problems(parent_id, moved=group_id)
            if parent_id != current.parent_id:
                values.update(parent_id=parent_id, position=store.next_position(conn, parent_id))
        if problems:
            raise invalid(problems)
        groups = tables.campaign_evaluation_groups
        conn.execute(groups.update().where(groups.c.id == group_id).values(**values))
        _tree_changed(conn, application_id)
        return _group(conn, application_id, group_id)


def delete_group(
    db: Database, caller: ManagementCaller, application_id: int, group_id: int
) -> None:
    caller.check_application(application_id)
    with db.write() as conn:
        store.lock_application(conn, caller.account_id, application_id)
        group = _group_row(conn, application_id, group_id)
        if group.parent_id is None:
            raise Conflict("The application's root evaluation group cannot be deleted.")
        if any(row.parent_id == group_id for row in store.group_rows(conn, application_id)):
            raise Conflict(f"Evaluation group {group_id} still holds groups; move them first.")
        places = store.campaign_places(conn, application_id)
        if any(place.evaluation_group_id == group_id for place in places):
            raise Conflict(f"Evaluation group {group_id} still holds campaigns; move them first.")
        groups = tables.campaign_evaluation_groups
        conn.execute(groups.delete().where(groups.c.id == group_id))
        _tree_changed(conn, application_id)


def _root_problems(settings: GroupSettings) -> list[Problem]:
    problems = []
    if settings.parent_id is not None:
        problems.append(_bad("The root evaluation group has no parent.", "/parentId"))
    if settings.evaluation_mode != EvaluationMode.STACKABLE.value:
        problems.append(
            _bad("The root evaluation group's mode is always stackable.", "/evaluationMode")
        )
    if settings.evaluation_scope != EvaluationScope.SESSION.value:
        problems.append(
            _bad("The root evaluation group's scope is always session.", "/evaluationScope")
        )
    return problems


class _Tree:
    """The groups of one application, to check where a group may go."""

    def __init__(self, rows: list[Row[Any]]) -> None:
        self.parents: dict[int, int | None] = {row.id: row.parent_id for row in rows}

    def depth(self, group_id: int) -> int:
        parent = self.parents[group_id]
        return 0 if parent is None else 1 + self.depth(parent)

    def height(self, group_id: int) -> int:
        """How many levels of groups lie below the group."""
        children = [child for child, parent in self.parents.items() if parent == group_id]
        return max((1 + self.height(child) for child in children), default=0)

    def is_within(self, group_id: int, ancestor: int) -> bool:
        while group_id != ancestor:
            parent = self.parents[group_id]
            if parent is None:
                return False
            group_id = parent
        return True

    def parent_problems(self, parent_id: int, *, moved: int | None) -> list[Problem]:
        """What stops a group (`moved`, or a new one) from going under `parent_id`."""
        if parent_id not in self.parents:
            return [_bad(f"Evaluation group {parent_id} does not exist here.", "/parentId")]
        if moved is not None and self.is_within(parent_id, moved):
            return [_bad("A group cannot go inside itself.", "/parentId")]
        height = 0 if moved is None else self.height(moved)
        if self.depth(parent_id) + 1 + height > MAX_DEPTH:
            return [
                _bad(f"Groups nest at most {MAX_DEPTH} levels below the root group.", "/parentId")
            ]
        return []


# --- the campaign set ------------------------------------------------------------------


def get_campaign_set(db: Database, caller: ManagementCaller, application_id: int) -> CampaignSet:
    default_evaluation_group_id(db, caller, application_id)
    with db.read() as conn:
        return _campaign_set(conn, application_id)


def update_campaign_set(
    db: Database, caller: ManagementCaller, application_id: int, update: CampaignSetUpdate
) -> CampaignSet:
    """Rewrites where every campaign and group sits and in which order. The set must name
    each campaign and group of the application exactly once; only its shape counts (a
    group's name, mode and scope change through the group)."""
    caller.check_application(application_id)
    with db.write() as conn:
        store.lock_application(conn, caller.account_id, application_id)
        root = store.ensure_root_group(conn, application_id, utcnow())
        current = store.campaign_set_row(conn, application_id)
        assert current is not None  # created with the root group
        _check_identity(update, application_id, current)
        groups = {row.id: row for row in store.group_rows(conn, application_id)}
        campaigns = {place.id for place in store.campaign_places(conn, application_id)}
        placement = _Placement(root, set(groups), campaigns)
        placement.read_branch(update.tree, "/set", parent=None, index=0, depth=0)
        placement.check_complete()
        if placement.problems:
            raise invalid(placement.problems)
        _apply(conn, placement)
        _tree_changed(conn, application_id)
        return _campaign_set(conn, application_id)


def _check_identity(update: CampaignSetUpdate, application_id: int, current: Row[Any]) -> None:
    problems = []
    if update.application_id not in (None, application_id):
        problems.append(_bad(f"This is application {application_id}'s set.", "/applicationId"))
    if update.id not in (None, current.id):
        problems.append(_bad(f"Application {application_id}'s set is {current.id}.", "/id"))
    if problems:
        raise invalid(problems)
    if update.version not in (None, current.version):
        raise Conflict(
            f"The campaign set changed since version {update.version}; it is at version "
            f"{current.version}. Read it again and apply your change to that.",
            [Problem(title="Conflict", pointer="/version")],
        )


class _Placement:
    """Reads a CampaignSet tree sent by a client into where each group and campaign goes,
    collecting every problem with a pointer to it."""

    def __init__(self, root: int, groups: set[int], campaigns: set[int]) -> None:
        self.root, self.groups, self.campaigns = root, groups, campaigns
        self.group_places: dict[int, tuple[int | None, int]] = {}
        self.campaign_places: dict[int, tuple[int, int]] = {}
        self.problems: list[Problem] = []

    def read_branch(
        self, node: Any, pointer: str, *, parent: int | None, index: int, depth: int
    ) -> None:
        group_id = self._branch_group(node, pointer, parent=parent, index=index, depth=depth)
        if group_id is None:
            return
        elements = node.get("elements")
        if not isinstance(elements, list):
            self._bad("A set lists its elements in `elements`.", f"{pointer}/elements")
            return
        for position, element in enumerate(elements):
            where = f"{pointer}/elements/{position}"
            kind = element.get("type") if isinstance(element, dict) else None
            if kind == "SET":
                self.read_branch(element, where, parent=group_id, index=position, depth=depth + 1)
            elif kind == "CAMPAIGN":
                self._read_leaf(element, where, group_id, position)
            else:
                self._bad('An element is {"type": "SET", …} or {"type": "CAMPAIGN", …}.', where)

    def _branch_group(
        self, node: Any, pointer: str, *, parent: int | None, index: int, depth: int
    ) -> int | None:
        """The group a SET node stands for, placed under `parent` at `index`; None when the
        node is unusable."""
        if not isinstance(node, dict) or node.get("type") != "SET":
            self._bad('A set is {"type": "SET", "groupId": …, "elements": […]}.', pointer)
            return None
        if node.get("operator") not in (None, "ALL"):
            self._bad("carrot evaluates every set with the operator ALL.", f"{pointer}/operator")
        group_id = node.get("groupId")
        where = f"{pointer}/groupId"
        if not _is_id(group_id) or group_id not in self.groups:
            self._bad(f"{group_id!r} is not an evaluation group of this application.", where)
            return None
        if (parent is None) != (group_id == self.root):
            self._bad("The root group, and only it, is the top of the set.", where)
            return None
        if group_id in self.group_places:
            self._bad(f"Evaluation group {group_id} appears more than once.", where)
            return None
        if depth > MAX_DEPTH:
            self._bad(f"Groups nest at most {MAX_DEPTH} levels below the root group.", where)
        self.group_places[group_id] = (parent, index)
        return int(group_id)

    def _read_leaf(self, element: dict[str, Any], pointer: str, group_id: int, index: int) -> None:
        campaign_id = element.get("campaignId")
        where = f"{pointer}/campaignId"
        if not _is_id(campaign_id) or campaign_id not in self.campaigns:
            self._bad(f"{campaign_id!r} is not a campaign of this application.", where)
        elif campaign_id in self.campaign_places:
            self._bad(f"Campaign {campaign_id} appears more than once.", where)
        else:
            self.campaign_places[campaign_id] = (group_id, index)

    def check_complete(self) -> None:
        missing_groups = sorted(self.groups - set(self.group_places))
        missing_campaigns = sorted(self.campaigns - set(self.campaign_places))
        if self.problems or not (missing_groups or missing_campaigns):
            return
        missing = [f"campaign {campaign}" for campaign in missing_campaigns]
        missing += [f"evaluation group {group}" for group in missing_groups]
        self._bad(
            "The set must name every campaign and evaluation group of the application once; "
            f"it leaves out {', '.join(missing)}.",
            "/set",
        )

    def _bad(self, details: str, pointer: str) -> None:
        self.problems.append(_bad(details, pointer))


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _apply(conn: Connection, placement: _Placement) -> None:
    groups, campaigns = tables.campaign_evaluation_groups, tables.campaigns
    for group_id, (parent_id, position) in placement.group_places.items():
        conn.execute(
            groups.update()
            .where(groups.c.id == group_id)
            .values(parent_id=parent_id, position=position)
        )
    for campaign_id, (group_id, position) in placement.campaign_places.items():
        conn.execute(
            campaigns.update()
            .where(campaigns.c.id == campaign_id)
            .values(evaluation_group_id=group_id, position=position)
        )


def _campaign_set(conn: Connection, application_id: int) -> CampaignSet:
    row = store.campaign_set_row(conn, application_id)
    if row is None:
        raise NotFound(f"Application {application_id} has no campaign set yet.")
    groups = [store.group_from_row(group) for group in store.group_rows(conn, application_id)]
    places = store.campaign_places(conn, application_id)
    branches = {group.id: SetBranch(group) for group in groups}
    # Groups before campaigns at the same position, each in id order.
    children: dict[int, list[tuple[int, int, int, SetBranch | SetLeaf]]] = {}
    for group in groups:
        if group.parent_id is not None:
            children.setdefault(group.parent_id, []).append(
                (group.position, 0, group.id, branches[group.id])
            )
    for place in places:
        children.setdefault(place.evaluation_group_id, []).append(
            (place.position, 1, place.id, SetLeaf(place.id))
        )
    for group_id, entries in children.items():
        branches[group_id].elements.extend(element for *_, element in sorted(entries))
    root = next(branch for branch in branches.values() if branch.group.parent_id is None)
    return CampaignSet(id=row.id, application_id=application_id, version=row.version, root=root)


# --- helpers ---------------------------------------------------------------------------


def _tree_changed(conn: Connection, application_id: int) -> None:
    store.bump_campaign_set(conn, application_id, utcnow())
    store.bump_revisions(conn, [application_id])


def _columns(settings: GroupSettings) -> dict[str, Any]:
    return {
        "name": settings.name,
        "description": settings.description,
        "evaluation_mode": settings.evaluation_mode,
        "evaluation_scope": settings.evaluation_scope,
        "locked": settings.locked,
    }


def _group_row(conn: Connection, application_id: int, group_id: int) -> Row[Any]:
    row = store.group_row(conn, application_id, group_id)
    if row is None:
        raise NotFound(
            f"Campaign evaluation group {group_id} not found in application {application_id}."
        )
    return row


def _group(conn: Connection, application_id: int, group_id: int) -> EvaluationGroup:
    return store.group_from_row(_group_row(conn, application_id, group_id))


def _bad(details: str, pointer: str) -> Problem:
    return Problem(title="Invalid value", details=details, pointer=pointer)
