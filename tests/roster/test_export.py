"""Roster export: the actor's scope only, numbers masked, formulas neutralised, audited."""

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.core.audit import AuditEntry
from portal.core.exceptions import PermissionDenied
from portal.extensions import db
from portal.roster import exporter
from tests import factories


def export(client, **form):
    response = client.post("/roster/export", data=form)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(response.data)).worksheets[0]


def rows_by_name(sheet):
    headers = [c.value for c in sheet[1]]
    return {row[0]: dict(zip(headers, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)}


def all_text(sheet):
    return " ".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)


def audit_details():
    return [e.detail for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "roster_exported").order_by(AuditEntry.id))]


def test_committee_export_has_chinese_headers_and_masked_numbers(world, login_as):
    client = login_as(world.users.committee)
    sheet = export(client)
    assert [c.value for c in sheet[1]] == exporter.HEADERS
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["D"].width >= 20
    people = rows_by_name(sheet)
    assert set(people) == {"王书记", "张三", "李四", "赵六", "刘委员", "陈五"}
    member = world.people.member
    row = people["张三"]
    full_id, full_phone = member.reveal_id_number(), member.reveal_phone()
    assert row["身份证号"] == f"{full_id[:4]}**********{full_id[-4:]}"
    assert row["手机号"] == f"{full_phone[:3]}****{full_phone[-4:]}"
    text = all_text(sheet)
    for person in vars(world.people).values():
        assert person.reveal_id_number() not in text and person.reveal_phone() not in text
    assert row["所属党支部"] == "综采一队党支部" and row["单位"] == "综采一队" and row["政治面貌"] == "正式党员"
    assert row["入党时间"] == datetime(2010, 7, 1) and isinstance(row["出生日期"], datetime)
    assert people["李四"]["入党时间"] is None
    assert audit_details() == ["导出花名册：6 人"]


def test_secretary_exports_only_their_branch(world, login_as):
    client = login_as(world.users.secretary)
    people = rows_by_name(export(client))
    assert set(people) == {"王书记", "张三", "李四", "赵六"}
    assert "陈五" not in people and "刘委员" not in people
    # Asking for the other branch gives nothing from it.
    assert rows_by_name(export(client, branch=world.branch_b.id)) == {}
    assert audit_details() == ["导出花名册：4 人", "导出花名册（掘进二队党支部）：0 人"]


def test_export_of_one_branch(world, login_as):
    client = login_as(world.users.committee)
    people = rows_by_name(export(client, branch=world.branch_b.id))
    assert set(people) == {"刘委员", "陈五"}


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://x\",\"点我\")", "+1+2", "-2+3", "@SUM(1,2)"])
def test_formula_looking_values_are_neutralised(world, login_as, name):
    factories.make_person(world.unit_a, name, job_type="=1+1")
    db.session.commit()
    client = login_as(world.users.committee)
    sheet = export(client)
    cells = [row for row in sheet.iter_rows(min_row=2) if str(row[0].value).endswith(name)]
    assert len(cells) == 1
    name_cell, job_cell = cells[0][0], cells[0][7]
    assert name_cell.value == "'" + name and name_cell.data_type == "s"
    assert job_cell.value == "'=1+1" and job_cell.data_type == "s"
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


def test_people_without_export_right_are_refused(world, login_as):
    client = login_as(world.users.member)
    assert client.post("/roster/export").status_code == 403
    with pytest.raises(PermissionDenied):
        exporter.export_roster(world.users.member)
    assert audit_details() == []


def test_export_streams_a_large_roster(world):
    for n in range(300):
        factories.make_person(world.unit_b, f"职工{n}", joined_party_on=date(2015, 1, 1))
    stream = exporter.export_roster(world.users.admin)
    sheet = load_workbook(stream, read_only=True).worksheets[0]
    assert sum(1 for _ in sheet.iter_rows(min_row=2)) == 306
    assert audit_details() == ["导出花名册：306 人"]
