"""Roster export to .xlsx: the people an actor may export, ID and phone masked; audited."""

from sqlalchemy import select
from sqlalchemy.orm import aliased

from portal.core import audit, xlsx
from portal.core.exceptions import PermissionDenied
from portal.extensions import db
from portal.roster import services
from portal.roster.dates import sheet_value
from portal.roster.models import Organisation, Person, Unit

HEADERS = [
    "姓名", "性别", "出生日期", "身份证号", "手机号", "工号", "单位", "工种", "技能等级",
    "政治面貌", "入党时间", "所属党支部", "党小组", "状态",
]
WIDTHS = [10, 6, 12, 22, 15, 10, 14, 12, 10, 14, 12, 18, 14, 8]


def export_roster(actor, branch_id=None):
    """The people within the actor's roster.export scope (optionally one branch) as .xlsx."""
    scope = services.scope_condition(actor, "roster.export")
    if scope is None:
        raise PermissionDenied("您没有导出花名册的权限")
    branch = aliased(Organisation)
    group = aliased(Organisation)
    stmt = (
        select(Person, Unit.name, branch.name, group.name)
        .join(Unit, Person.unit_id == Unit.id)
        .outerjoin(branch, Person.branch_id == branch.id)
        .outerjoin(group, Person.group_id == group.id)
        .where(scope)
        .order_by(branch.sort_order, branch.id, Unit.name, Person.name_sort, Person.id)
        .execution_options(yield_per=1000)
    )
    if branch_id:
        stmt = stmt.where(Person.branch_id == branch_id)
    counter = _Counter()
    rows = counter.count(_row(*result) for result in db.session.execute(stmt))
    stream = xlsx.write_workbook(HEADERS, rows, title="花名册", widths=WIDTHS)
    where = ""
    if branch_id:
        org = db.session.get(Organisation, branch_id)
        where = f"（{org.name}）" if org is not None else ""
    audit.record("roster_exported", actor=actor, detail=f"导出花名册{where}：{counter.total} 人")
    return stream


def _row(person, unit_name, branch_name, group_name):
    """One person as a row of cells; the sheet leaves the building, so numbers are masked."""
    return [
        person.name, person.gender, person.birth_date, person.id_number_masked, person.phone_masked,
        person.employee_no or "", unit_name, person.job_type, person.skill_level,
        person.political_status, sheet_value(person.joined_party_on, person.joined_party_precision),
        branch_name or "", group_name or "", person.status,
    ]


class _Counter:
    """Counts the rows of a generator as they stream past."""

    def __init__(self):
        self.total = 0

    def count(self, rows):
        """Yield the rows unchanged, counting them."""
        for row in rows:
            self.total += 1
            yield row
