"""Renaming and moving organisations and units; their subtrees and people move with them.

The add path's rules hold for an edit too (services: the text rule and length of a name, unique
names, which kind sits under which). Every edit that changes something first moves the roster's
data version on (core.cache.bump): on PostgreSQL that row stays locked until the request commits,
so edits of the tree (and every other roster write) wait for each other, and the checks that
follow read what the previous edit committed. Two crossing moves cannot make a cycle that way.
"""

from dataclasses import dataclass

from sqlalchemy import String, func, literal, select, update

from portal.core import audit, cache
from portal.core.exceptions import NotFound, PermissionDenied, ValidationError
from portal.extensions import db
from portal.roster import services
from portal.roster.models import ORG_CHILD_KINDS, Organisation, OrgKind, Person, Unit

# --- who may edit what ----------------------------------------------------------------------


def may_edit_organisation(actor, org):
    """True if the actor manages the organisation (org.manage on it or above it)."""
    return actor.has_permission("org.manage", org)


def may_edit_unit(actor, unit, root=None):
    """True if the actor manages the unit's branch; a unit without one needs the whole tree."""
    if unit.branch is not None:
        return actor.has_permission("org.manage", unit.branch)
    root = root or services.root_organisation()
    return root is not None and actor.has_permission("org.manage", root)


def editable_organisation(actor, org_id):
    """An organisation the actor may rename or move; NotFound otherwise (no leak)."""
    org = db.session.get(Organisation, org_id)
    if org is None or not may_edit_organisation(actor, org):
        raise NotFound("组织不存在")
    return org


def editable_unit(actor, unit_id):
    """A unit the actor may rename or move; NotFound otherwise (no leak)."""
    unit = db.session.get(Unit, unit_id)
    if unit is None or not may_edit_unit(actor, unit):
        raise NotFound("单位不存在")
    return unit


def parent_choices(actor, org):
    """Where the actor may put `org`, in tree order: organisations they manage that take its kind.

    Nothing inside its own subtree is offered. Its current parent always is, so a rename moves
    nothing; the top organisation has no choices: it stays at the top.
    """
    if org.parent_id is None:
        return []
    kinds = {parent for parent, children in ORG_CHILD_KINDS.items() if OrgKind(org.kind) in children}
    return [
        o for o in services.organisation_tree()
        if o.id == org.parent_id
        or (OrgKind(o.kind) in kinds and not org.contains(o) and actor.has_permission("org.manage", o))
    ]


def branch_choices(actor, unit):
    """The branches the actor manages, and the unit's own branch, in the tree's order."""
    branches = services.branches_within(actor.scopes("org.manage"))
    if unit.branch is not None and unit.branch not in branches:
        branches = [unit.branch, *branches]
    return branches


# --- organisations --------------------------------------------------------------------------


@dataclass
class OrgChange:
    """What an edit of an organisation did, for the flash and the audit log."""

    org: Organisation
    old_name: str
    old_parent: Organisation | None = None
    new_parent: Organisation | None = None
    descendants: int = 0  # organisations beneath it, moved along
    people: int = 0  # people of its branches, moved along

    @property
    def renamed(self):
        """True if the name changed."""
        return self.old_name != self.org.name

    @property
    def moved(self):
        """True if the organisation now sits under another parent."""
        return self.new_parent is not None

    @property
    def changed(self):
        """True if the edit changed anything."""
        return self.renamed or self.moved

    @property
    def summary(self):
        """One sentence for the user: what was actually changed."""
        if not self.changed:
            return f"组织“{self.org.name}”未作修改"
        parts = [f"组织“{self.old_name}”已更名为“{self.org.name}”" if self.renamed else f"组织“{self.org.name}”"]
        if self.moved:
            parts.append(f"{'，并' if self.renamed else '已'}移至“{self.new_parent.name}”，"
                         f"下级组织 {self.descendants} 个、人员 {self.people} 人随之移动")
        return "".join(parts)

    @property
    def detail(self):
        """The audit log's before and after."""
        parts = []
        if self.renamed:
            parts.append(f"名称：{self.old_name} → {self.org.name}")
        if self.moved:
            parts.append(f"上级组织：{_name(self.old_parent)} → {self.new_parent.name}"
                         f"（下级组织 {self.descendants} 个、人员 {self.people} 人随之移动）")
        return "；".join(parts)


def edit_organisation(actor, org_id, name, parent_id=None):
    """Rename an organisation and/or move it under another parent; audited.

    `parent_id` None (or its current parent) keeps it where it is. A move must stay within what
    the actor manages (the organisation and its new parent), may not go under the organisation
    itself or beneath it, and must respect which kind sits under which, as adding does. The
    subtree moves with it (every path rewritten in one statement); people keep their branches.
    """
    org = editable_organisation(actor, org_id)
    new_name = services.organisation_name(name)
    if new_name == org.name and parent_id in (None, org.parent_id):
        return OrgChange(org, org.name)
    _lock_roster()
    org = editable_organisation(actor, org_id)
    change = OrgChange(org, org.name, old_parent=org.parent)
    parent = org.parent if parent_id in (None, org.parent_id) else _new_parent(actor, org, parent_id)
    services.check_sibling_name(new_name, parent, exclude_id=org.id)
    org.name = new_name
    if parent is not change.old_parent:
        change.new_parent = parent
        change.descendants, change.people = _subtree_counts(org)
        _move_subtree(org, parent)
    if change.changed:
        audit.record("org_updated", target=org, actor=actor, detail=change.detail)
    return change


def _new_parent(actor, org, parent_id):
    parent = db.session.get(Organisation, parent_id)
    if parent is None:
        raise ValidationError("请选择上级组织", field="parent_id")
    if org.contains(parent):
        raise ValidationError("不能把组织移到它自身或它的下级组织之下", field="parent_id")
    if not actor.has_permission("org.manage", parent):
        raise PermissionDenied("您不能把组织移到该组织之下", field="parent_id")
    services.check_placement(org.kind, parent, field="parent_id")
    if org.kind == OrgKind.GROUP:
        members = db.session.scalar(select(func.count(Person.id)).where(Person.group_id == org.id))
        if members:
            raise ValidationError(
                f"党小组“{org.name}”还有 {members} 名成员，成员须属于本党小组所在的党支部；"
                "请先调整他们的党小组再移动", field="parent_id")
    return parent


def _subtree_counts(org):
    """(organisations beneath `org`, people of the branches in its subtree)."""
    in_subtree = Organisation.path.startswith(org.path)
    descendants = db.session.scalar(
        select(func.count(Organisation.id)).where(in_subtree, Organisation.id != org.id))
    people = db.session.scalar(
        select(func.count(Person.id)).join(Organisation, Organisation.id == Person.branch_id).where(in_subtree))
    return descendants, people


def _move_subtree(org, parent):
    """Hang `org` under `parent` and rewrite the path of it and everything beneath it at once."""
    old_path, new_path = org.path, f"{parent.path}{org.id}/"
    org.parent = parent
    db.session.execute(
        update(Organisation)
        .where(Organisation.path.startswith(old_path))
        .values(path=literal(new_path, String) + func.substr(Organisation.path, len(old_path) + 1)),
        execution_options={"synchronize_session": "fetch"},
    )


# --- units ----------------------------------------------------------------------------------


@dataclass
class UnitChange:
    """What an edit of a unit did, for the flash and the audit log."""

    unit: Unit
    old_name: str
    old_branch: Organisation | None = None
    new_branch: Organisation | None = None
    people_moved: int = 0  # people who had the unit's branch and now have the new one
    groups_left: int = 0  # of those, people whose 党小组 (in the old branch) was cleared
    people_kept: int = 0  # people of the unit whose branch was set on its own: not changed

    @property
    def renamed(self):
        """True if the name changed."""
        return self.old_name != self.unit.name

    @property
    def moved(self):
        """True if the unit now belongs to another branch."""
        return self.new_branch is not None

    @property
    def changed(self):
        """True if the edit changed anything."""
        return self.renamed or self.moved

    @property
    def people_text(self):
        """What happened to the unit's people: 12 人随之调整，其中 3 人原党小组已取消 ..."""
        text = f"{self.people_moved} 人随之调整"
        if self.groups_left:
            text += f"，其中 {self.groups_left} 人原所在党小组已取消"
        if self.people_kept:
            text += f"；另有 {self.people_kept} 人的党支部为单独指定，未调整"
        return text

    @property
    def summary(self):
        """One sentence for the user: what was actually changed."""
        if not self.changed:
            return f"单位“{self.unit.name}”未作修改"
        parts = [f"单位“{self.old_name}”已更名为“{self.unit.name}”" if self.renamed else f"单位“{self.unit.name}”"]
        if self.moved:
            parts.append(f"{'，并' if self.renamed else '已'}移至“{self.new_branch.name}”，{self.people_text}")
        return "".join(parts)

    @property
    def detail(self):
        """The audit log's before and after."""
        parts = []
        if self.renamed:
            parts.append(f"名称：{self.old_name} → {self.unit.name}")
        if self.moved:
            parts.append(f"所属党支部：{_name(self.old_branch)} → {self.new_branch.name}（{self.people_text}）")
        return "；".join(parts)


def edit_unit(actor, unit_id, name, branch_id=None):
    """Rename a unit and/or give it to another branch the actor manages; audited.

    `branch_id` None (or its current branch) keeps it. The unit's people who had its branch get
    the new one in one UPDATE, leaving the old branch's 党小组; people whose branch was set on its
    own (an import's 所属党支部 column) keep it.
    """
    unit = editable_unit(actor, unit_id)
    new_name = services.unit_name(name)
    if new_name == unit.name and branch_id in (None, unit.branch_id):
        return UnitChange(unit, unit.name)
    _lock_roster()
    unit = editable_unit(actor, unit_id)
    change = UnitChange(unit, unit.name, old_branch=unit.branch)
    branch = unit.branch if branch_id in (None, unit.branch_id) else _new_branch(actor, branch_id)
    services.check_unit_name_free(new_name, exclude_id=unit.id)
    unit.name = new_name
    if branch is not change.old_branch:
        change.new_branch = branch
        _move_people(change)
        unit.branch = branch
    if change.changed:
        audit.record("unit_updated", target=unit, actor=actor, detail=change.detail)
    return change


def _new_branch(actor, branch_id):
    branch = db.session.get(Organisation, branch_id)
    if branch is None:
        raise ValidationError("请选择所属党支部", field="branch_id")
    services.check_unit_branch(branch)
    if not actor.has_permission("org.manage", branch):
        raise PermissionDenied("您不能把单位调整到该党支部", field="branch_id")
    return branch


def _move_people(change):
    """Give the unit's people who followed its branch the new one, in one statement."""
    unit, old = change.unit, change.old_branch
    follows = Person.branch_id == old.id if old is not None else Person.branch_id.is_(None)
    in_unit = Person.unit_id == unit.id
    change.groups_left = db.session.scalar(
        select(func.count(Person.id)).where(in_unit, follows, Person.group_id.is_not(None)))
    change.people_moved = db.session.execute(
        update(Person).where(in_unit, follows).values(branch_id=change.new_branch.id, group_id=None)
    ).rowcount
    change.people_kept = db.session.scalar(
        select(func.count(Person.id)).where(in_unit, Person.branch_id != change.new_branch.id))


# --- shared ---------------------------------------------------------------------------------


def _lock_roster():
    """Move the roster's data version on first, and read everything afresh after it.

    The bump is the edit's own (the flush would bump it too) and comes before every check: on
    PostgreSQL it holds the version's row until commit, so a concurrent roster write waits for
    this one, and this one reads what an earlier one committed.
    """
    db.session.flush()
    cache.bump("roster")
    db.session.expire_all()


def _name(org):
    return org.name if org is not None else "（无）"
