"""Helpers shared by the roster import tests: sheet rows, files in every format, the upload."""

import io
from datetime import date

from openpyxl import Workbook
from sqlalchemy import func, select

from portal.core.audit import AuditEntry
from portal.core.xlsx import normalise_header
from portal.extensions import db
from portal.roster.models import ImportBatch, Person
from tests import factories

HEADERS = ["姓名", "性别", "身份证号", "手机号", "工号", "单位", "工种", "技能等级",
           "政治面貌", "入党时间", "所属党支部", "状态"]
NAMES = ["冯涛", "王小明", "李红", "赵建国", "孙立", "周强", "吴敏", "郑海"]


def id_number(n, male=True, birth=None):
    """A valid ID in a region no `world` person uses, so it never clashes with them."""
    birth = birth or date(1975 + n % 20, 1 + n % 12, 1 + n % 28)
    return factories.make_id_number(birth=birth, male=male, region="610102", serial=n % 400)


def person_row(n, **changes):
    """One valid sheet row (a male full member of 综采一队) as a dict by header."""
    row = {
        "姓名": NAMES[n % len(NAMES)] + ("" if n < len(NAMES) else str(n)), "性别": "男",
        "身份证号": id_number(n), "手机号": f"137{n:08d}", "工号": f"T{n:05d}", "单位": "综采一队",
        "工种": "采煤机司机", "技能等级": "高级工", "政治面貌": "正式党员", "入党时间": "2010-07-01",
        "所属党支部": None, "状态": "在岗",
    }
    row.update(changes)
    return row


def xlsx_bytes(rows, headers=HEADERS, before=(), formats=None):
    """An .xlsx with optional rows before the header, the header, then the rows.

    `formats` maps a header to the number format of its cells (e.g. a date shown as yyyy"年"m"月").
    """
    book = Workbook()
    sheet = book.active
    for line in before:
        sheet.append(line)
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(normalise_header(h)) for h in headers])
        for column, header in enumerate(headers, start=1):
            if formats and header in formats:
                sheet.cell(row=sheet.max_row, column=column).number_format = formats[header]
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def csv_bytes(rows, encoding="utf-8", delimiter=",", headers=HEADERS):
    lines = [delimiter.join(headers)]
    lines += [delimiter.join("" if r.get(h) is None else str(r.get(h)) for h in headers) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def upload(client, data, name="花名册.xlsx"):
    return client.post("/roster/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def person_count():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Person))


def batches(status=None):
    db.session.expire_all()
    stmt = select(ImportBatch).order_by(ImportBatch.id)
    if status:
        stmt = stmt.where(ImportBatch.status == status)
    return db.session.scalars(stmt).all()


def audit_details(action):
    return [e.detail for e in db.session.scalars(select(AuditEntry).where(AuditEntry.action == action))]


def assert_nothing_written(before):
    assert person_count() == before
    assert batches("imported") == []
