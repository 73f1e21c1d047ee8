"""Roster rules: organisations, scoped look-ups, search, and person records."""

from dataclasses import dataclass

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import joinedload

from portal.core import audit, crypto, text
from portal.core.clock import localnow
from portal.core.exceptions import ConflictError, NotFound, PermissionDenied, ValidationError
from portal.core.idcard import looks_like_phone, mask_phone, normalise_phone, parse_id_number
from portal.core.pagination import paginate_rows
from portal.extensions import db
from portal.roster.dates import DatePrecision
from portal.roster.models import (
    ORG_CHILD_KINDS,
    ORG_KIND_LABELS,
    PARTY_STATUSES,
    Organisation,
    OrgKind,
    Person,
    PersonStatus,
    PoliticalStatus,
    Unit,
)
from portal.roster.pinyin import name_keys

NAME_MAX = 80  # organisation and unit names (their columns' length)

# --- organisations -------------------------------------------------------------------

def root_organisation():
    """The committee at the top of the tree (the first one, if several)."""
    return db.session.scalar(
        select(Organisation).where(Organisation.parent_id.is_(None)).order_by(Organisation.id)
    )


def create_organisation(name, kind, parent=None, sort_order=0):
    """Add an organisation under `parent`, checking the tree's shape."""
    name = organisation_name(name)
    kind = OrgKind(kind)
    check_placement(kind, parent)
    check_sibling_name(name, parent)
    org = Organisation(name=name, kind=kind, parent=parent, sort_order=sort_order)
    db.session.add(org)
    db.session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    return org


def organisation_name(name):
    """An organisation's name under the text rule, or ValidationError (blank, too long)."""
    name = text.clean(name or "")
    if not name:
        raise ValidationError("请填写组织名称", field="name")
    if len(name) > NAME_MAX:
        raise ValidationError(f"组织名称不能超过 {NAME_MAX} 个字", field="name")
    return name


def check_placement(kind, parent, field="kind"):
    """Refuse a kind of organisation that may not sit directly under `parent` (None: the top)."""
    kind = OrgKind(kind)
    if parent is None and kind != OrgKind.COMMITTEE:
        raise ValidationError("只有党委可以作为最上级组织", field="parent_id")
    if parent is not None and kind not in ORG_CHILD_KINDS[OrgKind(parent.kind)]:
        raise ValidationError(
            f"{parent.kind_label}下不能设立{ORG_KIND_LABELS[kind]}", field=field
        )


def check_sibling_name(name, parent, exclude_id=None):
    """Refuse a name another organisation under the same parent already has."""
    sibling = select(Organisation.id).where(Organisation.name == name)
    sibling = sibling.where(
        Organisation.parent_id == parent.id if parent else Organisation.parent_id.is_(None)
    )
    if exclude_id is not None:
        sibling = sibling.where(Organisation.id != exclude_id)
    if db.session.scalar(sibling):
        raise ConflictError("同一上级下已有同名组织", field="name")


def organisation_tree():
    """Every organisation in tree order (depth-first by path and sort order)."""
    orgs = db.session.scalars(select(Organisation)).all()
    by_parent = {}
    for org in orgs:
        by_parent.setdefault(org.parent_id, []).append(org)
    ordered = []

    def walk(parent_id):
        for org in sorted(by_parent.get(parent_id, []), key=lambda o: (o.sort_order, o.id)):
            ordered.append(org)
            walk(org.id)

    walk(None)
    return ordered


def get_organisation(org_id):
    """An organisation by id, or NotFound."""
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise NotFound("组织不存在")
    return org


def branches_within(scopes):
    """Branches (and general branches' branches) under any of the given organisations."""
    if not scopes:
        return []
    conditions = [Organisation.path.startswith(s.path) for s in scopes]
    return db.session.scalars(
        select(Organisation)
        .where(Organisation.kind == OrgKind.BRANCH, or_(*conditions))
        .order_by(Organisation.sort_order, Organisation.id)
    ).all()


def branch_rows(scopes):
    """branches_within() as (id, name) rows, for pages that only list or filter by branches."""
    if not scopes:
        return []
    conditions = [Organisation.path.startswith(s.path) for s in scopes]
    return db.session.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.kind == OrgKind.BRANCH, or_(*conditions))
        .order_by(Organisation.sort_order, Organisation.id)
    ).all()


def create_unit(name, branch=None):
    """Add an administrative unit (队组/科室), optionally looked after by a branch."""
    name = unit_name(name)
    check_unit_branch(branch)
    check_unit_name_free(name)
    unit = Unit(name=name, branch=branch)
    db.session.add(unit)
    db.session.flush()
    return unit


def unit_name(name):
    """A unit's name under the text rule, or ValidationError (blank, too long)."""
    name = text.clean(name or "")
    if not name:
        raise ValidationError("请填写单位名称", field="name")
    if len(name) > NAME_MAX:
        raise ValidationError(f"单位名称不能超过 {NAME_MAX} 个字", field="name")
    return name


def check_unit_branch(branch):
    """Refuse anything but a branch (党支部) as the organisation looking after a unit."""
    if branch is not None and branch.kind != OrgKind.BRANCH:
        raise ValidationError("单位只能归属到党支部", field="branch_id")


def check_unit_name_free(name, exclude_id=None):
    """Refuse a name another unit already has (unit names are unique across the mine)."""
    clash = select(Unit.id).where(Unit.name == name)
    if exclude_id is not None:
        clash = clash.where(Unit.id != exclude_id)
    if db.session.scalar(clash):
        raise ConflictError("已有同名单位", field="name")


def units():
    """All units by name."""
    return db.session.scalars(select(Unit).order_by(Unit.name)).all()


# --- scoping ----------------------------------------------------------------------------

def scope_condition(actor, permission, branches=None):
    """A WHERE clause limiting people to the branches the actor holds `permission` on.

    The branch ids are written out (not a sub-select) so the database can use the
    (branch_id, status, name_sort) index; callers that already hold the actor's branches
    pass them in to save the look-up.
    """
    if branches is None:
        branches = branch_rows(actor.scopes(permission))
    if not branches:
        return None
    return Person.branch_id.in_([b.id for b in branches])


# A person with their branch (every caller checks access on it), built once: it runs on every person page.
_PERSON_WITH_BRANCH = select(Person).options(joinedload(Person.branch)).where(Person.id == bindparam("person_id"))


def get_person_for(actor, person_id, permission="roster.view"):
    """A person the actor may see under `permission`; NotFound otherwise (no leak)."""
    person = db.session.execute(_PERSON_WITH_BRANCH, {"person_id": person_id}).scalar_one_or_none()
    if person is None or person.branch is None or not actor.has_permission(permission, person.branch):
        raise NotFound("人员不存在")
    return person


def find_person_by_login(identifier):
    """A person by phone number (keyed hash) or employee number; None if unknown."""
    identifier = text.clean_code(identifier)
    if looks_like_phone(identifier):
        return db.session.scalar(
            select(Person).where(Person.phone_hash == crypto.blind_index("phone", normalise_phone(identifier)))
        )
    return db.session.scalar(select(Person).where(Person.employee_no == identifier))


def find_person_by_id_number(number):
    """A person by national ID number (keyed hash), or None."""
    info = parse_id_number(number)
    return db.session.scalar(
        select(Person).where(Person.id_hash == crypto.blind_index("id", info.number))
    )


# --- search ---------------------------------------------------------------------------------

def search_people(actor, q=None, branch_id=None, status=None, political_status=None,
                  page=1, per_page=30, branches=None, permission="roster.view"):
    """People the actor may see, filtered and paginated, in a stable order.

    `q` is a name (or part of one), its pinyin or initials (zhangsan, zs), or an employee number.
    Rows carry only what a list shows (see PersonRow): the roster list is the page secretaries
    open most, so it reads columns, not whole encrypted records. The people are those of the
    branches where the actor holds `permission`; `branches`, if given, must be those branches
    (the page has them already).
    """
    scope = scope_condition(actor, permission, branches)
    if scope is None:
        raise PermissionDenied("您没有查看花名册的权限" if permission == "roster.view" else "您没有权限查找这些人员")
    conditions = [scope, *_search_conditions(q, branch_id, status, political_status)]
    rows = (
        select(Person.id, Person.name, Person.political_status, Person.job_type, Person.employee_no,
               Person.phone_tail, Person.status, Unit.name.label("unit_name"))
        .join(Unit, Unit.id == Person.unit_id)
        .where(*conditions)
        .order_by(Person.name_sort, Person.id)
    )
    count = select(func.count(Person.id)).where(*conditions)
    pagination = paginate_rows(rows, count, page, per_page)
    pagination.items = [PersonRow(*row) for row in pagination.items]
    return pagination


def find_on_post(branch_ids, q, limit=20):
    """People on post in `branch_ids` whose name, pinyin, initials or employee number match `q` (PersonRow)."""
    if not branch_ids or not text.clean(q or ""):
        return []
    rows = (
        select(Person.id, Person.name, Person.political_status, Person.job_type, Person.employee_no,
               Person.phone_tail, Person.status, Unit.name.label("unit_name"))
        .join(Unit, Unit.id == Person.unit_id)
        .where(Person.branch_id.in_(list(branch_ids)), *_search_conditions(q, None, PersonStatus.ON_POST, None))
        .order_by(Person.name_sort, Person.id)
        .limit(limit)
    )
    return [PersonRow(*row) for row in db.session.execute(rows)]


def _search_conditions(q, branch_id, status, political_status):
    conditions = []
    q = text.clean(q or "")[:40]
    if q:
        lowered = q.lower()
        if lowered.isascii() and lowered.isalpha():
            conditions.append(
                or_(Person.name_initials.startswith(lowered), Person.name_pinyin.startswith(lowered))
            )
        elif q.isdigit():
            conditions.append(Person.employee_no.startswith(q))
        else:
            conditions.append(Person.name.contains(q, autoescape=True))
    if branch_id:
        conditions.append(Person.branch_id == branch_id)
    if status:
        conditions.append(Person.status == status)
    if political_status:
        conditions.append(Person.political_status == political_status)
    return conditions


@dataclass(frozen=True)
class PersonRow:
    """One line of the roster list."""

    id: int
    name: str
    political_status: str
    job_type: str
    employee_no: str | None
    phone_tail: str
    status: str
    unit_name: str

    @property
    def phone_masked(self):
        """138****5678."""
        return mask_phone(self.phone_tail[:3] + "0000" + self.phone_tail[3:])

    @property
    def is_party_member(self):
        """True for full and probationary members."""
        return self.political_status in PARTY_STATUSES


def count_by_status(actor):
    """Headcounts by political status within the actor's roster scope."""
    scope = scope_condition(actor, "roster.view")
    if scope is None:
        return {}
    rows = db.session.execute(
        select(Person.political_status, func.count())
        .where(scope, Person.status == PersonStatus.ON_POST)
        .group_by(Person.political_status)
    ).all()
    return {status: count for status, count in rows}


# --- person records ------------------------------------------------------------------------

def build_person(**fields):
    """Validate one person's fields and return an unsaved Person (raises ValidationError)."""
    return Person(**person_fields(**fields))


def person_fields(*, name, gender, id_number, phone, unit, employee_no=None, job_type="",
                 skill_level="", political_status, joined_party_on=None,
                 joined_party_precision=DatePrecision.DAY, status=PersonStatus.ON_POST, branch=None, group=None):
    """Validate one person's fields and return the column values (raises ValidationError).

    A join date known only to the month comes as its 1st with joined_party_precision "month".
    """
    name = text.clean(name or "")
    if not name:
        raise ValidationError("姓名不能为空", field="name")
    if len(name) > 40:
        raise ValidationError("姓名过长", field="name")
    try:
        info = parse_id_number(id_number)
    except ValidationError as error:
        raise ValidationError(error.message, field="id_number") from None
    if gender and gender != info.gender:
        raise ValidationError(f"性别与身份证号不符（身份证号显示为{info.gender}）", field="gender")
    try:
        phone = normalise_phone(phone)
    except ValidationError as error:
        raise ValidationError(error.message, field="phone") from None
    try:
        political_status = PoliticalStatus(political_status)
    except ValueError:
        raise ValidationError(
            "政治面貌应为：正式党员、预备党员、入党积极分子、群众", field="political_status"
        ) from None
    try:
        status = PersonStatus(status or PersonStatus.ON_POST)
    except ValueError:
        raise ValidationError("状态应为：在岗、调出、退休", field="status") from None
    if political_status in PARTY_STATUSES:
        if joined_party_on is None:
            raise ValidationError("党员须填写入党时间", field="joined_party_on")
        if joined_party_on > localnow().date() or joined_party_on <= info.birth_date:
            raise ValidationError("入党时间不合理", field="joined_party_on")
    elif joined_party_on is not None:
        raise ValidationError("非党员不应填写入党时间", field="joined_party_on")
    precision = DatePrecision(joined_party_precision or DatePrecision.DAY)
    if joined_party_on is None or (precision == DatePrecision.MONTH and joined_party_on.day != 1):
        precision = DatePrecision.DAY
    branch = branch or unit.branch
    if branch is None:
        raise ValidationError(f"单位“{unit.name}”尚未指定所属党支部", field="unit_id")
    if group is not None and group.parent_id != branch.id:
        raise ValidationError("党小组不属于该党支部", field="group_id")
    pinyin, initials, sort = name_keys(name)
    return dict(
        name=name, name_pinyin=pinyin, name_initials=initials, name_sort=sort, gender=info.gender,
        birth_date=info.birth_date,
        id_cipher=crypto.encrypt(info.number), id_hash=crypto.blind_index("id", info.number),
        id_tail=info.number[:4] + info.number[-4:],
        phone_cipher=crypto.encrypt(phone), phone_hash=crypto.blind_index("phone", phone),
        phone_tail=phone[:3] + phone[-4:],
        employee_no=text.clean_code(employee_no or "") or None, unit=unit, branch=branch, group=group,
        job_type=text.clean(job_type or ""), skill_level=text.clean(skill_level or ""),
        political_status=political_status, joined_party_on=joined_party_on,
        joined_party_precision=precision, status=status,
    )


def check_unique(person):
    """Raise ConflictError if the ID, phone or employee number is already on the roster."""
    clauses = [Person.id_hash == person.id_hash, Person.phone_hash == person.phone_hash]
    if person.employee_no:
        clauses.append(Person.employee_no == person.employee_no)
    stmt = select(Person).where(or_(*clauses))
    if person.id is not None:
        stmt = stmt.where(Person.id != person.id)
    clash = db.session.scalar(stmt)
    if clash is None:
        return
    if clash.id_hash == person.id_hash:
        raise ConflictError("花名册中已有相同身份证号的人员", field="id_number")
    if clash.phone_hash == person.phone_hash:
        raise ConflictError("花名册中已有相同手机号的人员", field="phone")
    raise ConflictError("花名册中已有相同工号的人员", field="employee_no")


def add_person(actor, **fields):
    """Create one person within the actor's scope."""
    person = build_person(**fields)
    if not actor.has_permission("roster.edit", person.branch):
        raise PermissionDenied("您不能在该党支部下添加人员")
    check_unique(person)
    db.session.add(person)
    audit.record("person_created", target=person, actor=actor)
    return person


def update_person(actor, person, **fields):
    """Replace a person's editable fields, re-validating everything."""
    values = person_fields(**fields)
    if not actor.has_permission("roster.edit", values["branch"]):
        raise PermissionDenied("您不能把人员调整到该党支部")
    with db.session.no_autoflush:
        for column, value in values.items():
            setattr(person, column, value)
        check_unique(person)
    audit.record("person_updated", target=person, actor=actor)
    return person


def reveal(actor, person, what):
    """The full ID or phone number, for holders of roster.reveal; every call is audited."""
    if not actor.has_permission("roster.reveal", person.branch):
        raise PermissionDenied("您没有查看完整信息的权限")
    if what == "id":
        audit.record("id_revealed", target=person, actor=actor)
        return person.reveal_id_number()
    if what == "phone":
        audit.record("phone_revealed", target=person, actor=actor)
        return person.reveal_phone()
    raise ValidationError("未知的查看项目")


def branch_headcounts(actor):
    """Per branch within the actor's scope: members, probationary, activists, masses on post."""
    branches = branches_within(actor.scopes("roster.view"))
    if not branches:
        return []
    rows = db.session.execute(
        select(Person.branch_id, Person.political_status, func.count())
        .where(Person.branch_id.in_([b.id for b in branches]), Person.status == PersonStatus.ON_POST)
        .group_by(Person.branch_id, Person.political_status)
    ).all()
    counts = {}
    for branch_id, status, count in rows:
        counts.setdefault(branch_id, {})[status] = count
    return [(b, counts.get(b.id, {})) for b in branches]


def get_unit(unit_id):
    """A unit by id, or ValidationError (it comes from a form)."""
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit is None:
        raise ValidationError("请选择单位", field="unit_id")
    return unit


def add_organisation(actor, name, kind, parent_id, sort_order=0):
    """Add an organisation under one the actor manages; audited."""
    parent = get_organisation(parent_id)
    if not actor.has_permission("org.manage", parent):
        raise PermissionDenied("您不能在该组织下添加下级组织")
    org = create_organisation(name, kind, parent, sort_order)
    audit.record("org_created", target=org, actor=actor, detail=org.name)
    return org


def add_unit(actor, name, branch_id):
    """Add a unit looked after by a branch the actor manages; audited."""
    branch = get_organisation(branch_id)
    if not actor.has_permission("org.manage", branch):
        raise PermissionDenied("您不能在该党支部下添加单位")
    unit = create_unit(name, branch)
    audit.record("unit_created", target=unit, actor=actor, detail=unit.name)
    return unit
