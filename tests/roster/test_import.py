"""Roster import: clean files are written whole, bad ones are reported row by row."""

import io
import os
import random
import re
import zipfile
from datetime import date, datetime, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import event, text
from werkzeug.datastructures import FileStorage

from portal.core import clock
from portal.core.exceptions import ConflictError, PermissionDenied, ValidationError
from portal.core.idcard import check_digit
from portal.core.permissions import Role
from portal.extensions import db
from portal.roster import importer, services
from tests import factories
from tests.roster.importing import (
    HEADERS,
    assert_nothing_written,
    audit_details,
    batches,
    csv_bytes,
    id_number,
    person_count,
    person_row,
    upload,
    xlsx_bytes,
)

# --- clean files -------------------------------------------------------------------------------

def test_clean_xlsx_imports_every_row(world, login_as):
    client = login_as(world.users.committee)
    rows = [person_row(1), person_row(2, 政治面貌="群众", 入党时间=None, 工号=None),
            person_row(3, 单位="掘进二队", 性别="女", 身份证号=id_number(3, male=False))]
    before = person_count()
    assert "王小明" not in client.get("/roster/").get_data(as_text=True)  # the list is now cached
    response = upload(client, xlsx_bytes(rows))
    assert response.status_code == 302 and response.location.endswith("/roster/")
    assert person_count() == before + 3

    first = services.find_person_by_id_number(rows[0]["身份证号"])
    assert first.name == "王小明" and first.name_initials == "wxm" and first.name_pinyin == "wangxiaoming"
    assert first.branch_id == world.branch_a.id and first.joined_party_on == date(2010, 7, 1)
    assert first.reveal_phone() == rows[0]["手机号"] and first.employee_no == "T00001"
    raw = db.session.execute(text("SELECT * FROM person WHERE id = :id"), {"id": first.id}).one()
    assert not any(rows[0]["身份证号"] in str(v) or rows[0]["手机号"] in str(v) for v in raw)
    third = services.find_person_by_id_number(rows[2]["身份证号"])
    assert third.branch_id == world.branch_b.id and third.gender == "女"
    assert services.find_person_by_id_number(rows[1]["身份证号"]).employee_no is None

    (batch,) = batches()
    assert (batch.status, batch.total_rows, batch.imported_rows, batch.error_rows) == ("imported", 3, 3, 0)
    assert not importer.stored_path(batch).exists()
    assert audit_details("roster_imported") == ["文件 花名册.xlsx：导入 3 人，跳过 0 行"]
    listed = client.get("/roster/").get_data(as_text=True)
    assert "导入成功" in listed and "王小明" in listed  # the bulk INSERT moved the roster version


@pytest.mark.parametrize(("encoding", "delimiter"), [("gb18030", ","), ("gbk", "\t"), ("utf-8-sig", ","),
                                                      ("utf-8", "\t")])
def test_clean_csv_imports_in_chinese_encodings(world, login_as, encoding, delimiter):
    client = login_as(world.users.admin)
    rows = [person_row(11), person_row(12, 政治面貌="预备党员", 入党时间="2023/7/1")]
    before = person_count()
    response = upload(client, csv_bytes(rows, encoding, delimiter), "花名册.csv")
    assert response.status_code == 302
    assert person_count() == before + 2
    assert services.find_person_by_id_number(rows[1]["身份证号"]).political_status == "预备党员"


def test_headers_with_spaces_stars_other_order_and_extra_columns(world, login_as):
    client = login_as(world.users.admin)
    headers = [" 身份证号 *", "序号", "姓名*", "性别 ", "手机号＊", "单位", "政治面貌", "入党时间", "备注"]
    rows = [dict(person_row(21), 序号=1, 备注="新调入"), dict(person_row(22), 序号=2)]
    before = person_count()
    response = upload(client, xlsx_bytes(rows, headers, before=[["示范煤矿职工花名册"]]))
    assert response.status_code == 302
    assert person_count() == before + 2


def test_common_header_spellings_are_understood(world, login_as):
    client = login_as(world.users.admin)
    headers = ["姓 名", "性别", "身份证号码", "手机号码", "所在单位", "政治面貌", "入党日期", "党支部"]
    spelled = {"身份证号码": "身份证号", "手机号码": "手机号", "所在单位": "单位", "入党日期": "入党时间",
               "党支部": "所属党支部"}
    row = person_row(24, 所属党支部="掘进二队党支部")
    row.update({alias: row[header] for alias, header in spelled.items()})
    assert upload(client, xlsx_bytes([row], headers)).status_code == 302
    assert services.find_person_by_id_number(id_number(24)).branch_id == world.branch_b.id


def test_whitespace_is_trimmed(world, login_as):
    client = login_as(world.users.admin)
    row = person_row(23, 姓名="  孙立 ", 身份证号=f" {id_number(23)}\u3000", 单位=" 综采一队 ")
    assert upload(client, xlsx_bytes([row])).status_code == 302
    assert services.find_person_by_id_number(id_number(23)).name == "孙立"


@pytest.mark.parametrize("joined", [datetime(2010, 7, 1), "2010-07-01", "2010/7/1", "2010年7月1日",
                                    "20100701", 20100701, 40360, "2010.07.01"])
def test_joined_date_formats(world, login_as, joined):
    client = login_as(world.users.admin)
    assert upload(client, xlsx_bytes([person_row(31, 入党时间=joined)])).status_code == 302
    assert services.find_person_by_id_number(id_number(31)).joined_party_on == date(2010, 7, 1)


def test_common_spellings_of_political_status(world, login_as):
    client = login_as(world.users.admin)
    rows = [person_row(32, 政治面貌="中共党员"), person_row(33, 政治面貌="中共预备党员", 入党时间="2024-07-01")]
    assert upload(client, xlsx_bytes(rows)).status_code == 302
    assert services.find_person_by_id_number(id_number(33)).political_status == "预备党员"


# --- bad rows ------------------------------------------------------------------------------------

def _bad_birth_date_id():
    first17 = "610102" + "19800230" + "003"
    return first17 + check_digit(first17)


def _bad_check_digit_id():
    good = id_number(2)
    return good[:17] + ("0" if good[17] != "0" else "1")


BAD_ROWS = [
    ("name-empty", {"姓名": None}, "姓名", "姓名不能为空"),
    ("id-check-digit", {"身份证号": _bad_check_digit_id()}, "身份证号", "身份证号校验位错误"),
    ("id-birth-date", {"身份证号": _bad_birth_date_id()}, "身份证号", "出生日期不存在"),
    ("id-length", {"身份证号": "61010219800101"}, "身份证号", "身份证号应为 18 位"),
    ("id-as-number", {"身份证号": 610102198001010000}, "身份证号", "设为“文本”格式"),
    ("gender-mismatch", {"性别": "女"}, "性别", "性别与身份证号不符"),
    ("gender-unknown", {"性别": "M"}, "性别", "性别应为“男”或“女”"),
    ("phone-bad", {"手机号": "1234567"}, "手机号", "手机号应为 11 位"),
    ("joined-bad-date", {"入党时间": "2010-13-45"}, "入党时间", "入党时间不是有效日期"),
    ("joined-missing", {"入党时间": None}, "入党时间", "党员须填写入党时间"),
    ("joined-for-masses", {"政治面貌": "群众"}, "入党时间", "非党员不应填写入党时间"),
    ("unit-unknown", {"单位": "通风三队"}, "单位", "单位“通风三队”不存在"),
    ("branch-unknown", {"所属党支部": "机电党支部"}, "所属党支部", "党支部“机电党支部”不存在"),
    ("political-bad", {"政治面貌": "共青团员"}, "政治面貌", "政治面貌应为"),
    ("status-bad", {"状态": "休假"}, "状态", "状态应为：在岗、调出、退休"),
    ("formula", {"工种": "=A1&B1"}, "工种", importer.FORMULA_MESSAGE),
    ("formula-in-required", {"姓名": '=CONCAT("王","五")'}, "姓名", importer.FORMULA_MESSAGE),
    ("employee-no-long", {"工号": "E" * 21}, "工号", "工号不能超过 20 个字符"),
]


@pytest.mark.parametrize(("changes", "column", "message"), [case[1:] for case in BAD_ROWS],
                         ids=[case[0] for case in BAD_ROWS])
def test_bad_row_is_reported_and_nothing_written(world, login_as, changes, column, message):
    client = login_as(world.users.admin)
    rows = [person_row(41), person_row(42, **changes), person_row(43)]
    before = person_count()
    response = upload(client, xlsx_bytes(rows))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert "第 3 行" in page and f"<td class=\"text-nowrap\">{column}</td>" in page
    assert "第 2 行" not in page and "第 4 行" not in page
    assert "仅导入 2 条有效记录（跳过 1 行错误）" in page
    assert_nothing_written(before)
    (batch,) = batches()
    assert (batch.status, batch.total_rows, batch.error_rows) == ("pending", 3, 1)


def test_report_masks_id_and_phone_values(world, login_as):
    client = login_as(world.users.admin)
    bad_id, bad_phone = _bad_check_digit_id(), "23812345678"
    page = upload(client, xlsx_bytes([person_row(44, 身份证号=bad_id, 手机号=bad_phone)])).get_data(as_text=True)
    assert "身份证号校验位错误" in page and "手机号应为 11 位" in page
    assert bad_id not in page and bad_phone not in page
    assert f"{bad_id[:4]}**********{bad_id[-4:]}" in page and "238****5678" in page


def test_id_number_turned_into_scientific_notation_in_csv(world, login_as):
    client = login_as(world.users.admin)
    before = person_count()
    page = upload(client, csv_bytes([person_row(45, 身份证号="6.10102E+17")]), "花名册.csv").get_data(as_text=True)
    assert importer.NUMERIC_ID_MESSAGE in page
    assert_nothing_written(before)


def test_csv_formulas_are_refused_but_excel_text_quoting_is_accepted(world, login_as):
    client = login_as(world.users.admin)
    quoted = person_row(47, 身份证号=f'="{id_number(47)}"', 手机号='="13700000047"')
    page = upload(client, csv_bytes([quoted, person_row(48, 工种="=1+2")]), "花名册.csv").get_data(as_text=True)
    assert "第 3 行" in page and importer.FORMULA_MESSAGE in page
    assert "第 2 行" not in page and "仅导入 1 条有效记录（跳过 1 行错误）" in page


def test_every_error_of_a_row_is_listed(world, login_as):
    client = login_as(world.users.admin)
    page = upload(client, xlsx_bytes([person_row(46, 手机号="12", 单位="不存在", 性别=None)])).get_data(as_text=True)
    assert "手机号应为 11 位" in page and "单位“不存在”不存在" in page and "性别不能为空" in page


@pytest.mark.parametrize("column", ["身份证号", "手机号", "工号"])
def test_duplicate_within_file_names_both_rows(world, login_as, column):
    client = login_as(world.users.admin)
    rows = [person_row(51), person_row(52), person_row(53)]
    rows[2][column] = rows[0][column]
    if column == "身份证号":
        rows[2]["性别"] = rows[0]["性别"]
    before = person_count()
    page = upload(client, xlsx_bytes(rows)).get_data(as_text=True)
    assert f"与第 4 行的{column}重复" in page and f"与第 2 行的{column}重复" in page
    assert "仅导入 1 条有效记录（跳过 2 行错误）" in page
    assert_nothing_written(before)


@pytest.mark.parametrize("column", ["身份证号", "手机号", "工号"])
def test_duplicate_of_someone_already_on_the_roster(world, login_as, column):
    member = world.people.member
    existing = {"身份证号": member.reveal_id_number(), "手机号": member.reveal_phone(),
                "工号": member.employee_no}[column]
    client = login_as(world.users.admin)
    before = person_count()
    page = upload(client, xlsx_bytes([person_row(54, **{column: existing})])).get_data(as_text=True)
    assert f"花名册中已有相同{column}的人员" in page
    assert_nothing_written(before)


def test_rows_outside_the_importers_branches_are_errors(world, login_as):
    limited = factories.make_user(login_name="branch-committee", roles=[(Role.COMMITTEE, world.branch_a)])
    db.session.commit()
    client = login_as(limited)
    rows = [person_row(61), person_row(62, 单位="掘进二队"), person_row(63, 所属党支部="掘进二队党支部")]
    before = person_count()
    page = upload(client, xlsx_bytes(rows)).get_data(as_text=True)
    assert page.count("您没有向“掘进二队党支部”导入人员的权限") == 2
    assert "仅导入 1 条有效记录（跳过 2 行错误）" in page
    assert_nothing_written(before)


def test_duplicate_checks_use_a_few_queries_not_one_per_row(app, world):
    statements = []

    def count(conn, cursor, statement, *args):
        if "FROM person" in statement:
            statements.append(statement)

    rows = [person_row(100 + i) for i in range(300)]
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        report = importer.check_file(world.users.admin, "x.xlsx", xlsx_bytes(rows))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert report.ok and report.total == 300
    assert len(statements) <= 3


# --- accepting the valid rows -------------------------------------------------------------------

def _upload_with_errors(client):
    rows = [person_row(71), person_row(72, 手机号="1"), person_row(73), person_row(74, 单位="无此单位"),
            person_row(75)]
    return upload(client, xlsx_bytes(rows)), rows


def test_accepting_valid_rows_writes_exactly_those(world, login_as):
    client = login_as(world.users.admin)
    before = person_count()
    response, rows = _upload_with_errors(client)
    assert "仅导入 3 条有效记录（跳过 2 行错误）" in response.get_data(as_text=True)
    (batch,) = batches()
    response = client.post(f"/roster/import/{batch.id}/accept")
    assert response.status_code == 302
    assert person_count() == before + 3
    imported = {services.find_person_by_id_number(r["身份证号"]) is not None for r in rows[::2]}
    skipped = {services.find_person_by_id_number(r["身份证号"]) is not None for r in rows[1::2]}
    assert imported == {True} and skipped == {False}
    (batch,) = batches()
    assert (batch.status, batch.imported_rows, batch.error_rows) == ("imported", 3, 2)
    assert audit_details("roster_imported") == ["文件 花名册.xlsx：导入 3 人，跳过 2 行"]
    assert not importer.stored_path(batch).exists()
    again = client.post(f"/roster/import/{batch.id}/accept", follow_redirects=True)
    assert "该文件已经处理过" in again.get_data(as_text=True)
    assert person_count() == before + 3


def test_accepting_someone_elses_batch_is_refused(app, world, login_as):
    client = login_as(world.users.admin)
    _upload_with_errors(client)
    (batch,) = batches()
    before = person_count()
    other = app.test_client()
    login_response = other.post("/login", data={"identifier": world.people.committee.employee_no,
                                                 "password": factories.PASSWORD})
    assert login_response.status_code == 302
    page = other.post(f"/roster/import/{batch.id}/accept", follow_redirects=True).get_data(as_text=True)
    assert "只能确认您本人上传的文件" in page
    assert person_count() == before
    assert batches()[0].status == "pending"


def test_commit_refuses_a_file_with_errors_unless_only_valid(world):
    batch, report = importer.stage(world.users.admin, FileStorage(
        io.BytesIO(xlsx_bytes([person_row(81), person_row(82, 手机号="x")])), "a.xlsx"))
    assert not report.ok and report.valid == 1 and report.error_rows == 1
    with pytest.raises(ValidationError, match="1 行错误"):
        importer.commit(world.users.admin, batch.id)
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        importer.commit(world.users.secretary, batch.id, only_valid=True)


def test_commit_rechecks_against_the_database(world):
    batch, report = importer.stage(world.users.admin, FileStorage(
        io.BytesIO(xlsx_bytes([person_row(83), person_row(84)])), "a.xlsx"))
    assert report.ok
    factories.make_person(world.unit_a, "抢先者", phone="13700000084")
    batch = importer.commit(world.users.admin, batch.id, only_valid=True)
    assert (batch.imported_rows, batch.error_rows) == (1, 1)


def test_commit_refuses_when_the_actor_lost_the_right(world):
    batch, _report = importer.stage(world.users.committee, FileStorage(
        io.BytesIO(xlsx_bytes([person_row(85)])), "a.xlsx"))
    for grant in list(world.users.committee.grants):
        db.session.delete(grant)
    db.session.flush()
    db.session.expire(world.users.committee)
    with pytest.raises(PermissionDenied):
        importer.commit(world.users.committee, batch.id)


def test_stage_keeps_the_file_encrypted_and_writes_nothing_else(world):
    before = person_count()
    data = xlsx_bytes([person_row(86), person_row(87, 性别="女")])
    batch, report = importer.stage(world.users.admin, FileStorage(io.BytesIO(data), "../../etc/花名册.xlsx"))
    assert (report.total, report.valid, report.error_rows, report.ok) == (2, 1, 1, False)
    assert (batch.status, batch.filename, batch.total_rows, batch.error_rows) == ("pending", "花名册.xlsx", 2, 1)
    assert batch.stored_name.endswith(".xlsx") and len(batch.stored_name) > 30
    stored = importer.stored_path(batch).read_bytes()
    assert b"PK" not in stored[:4] and data not in stored
    assert importer.stored_path(batch).stat().st_mode & 0o077 == 0
    assert person_count() == before
    with pytest.raises(ConflictError):
        importer.commit(world.users.admin, importer.commit(world.users.admin, batch.id, only_valid=True).id)


# --- file-level problems --------------------------------------------------------------------------

def _zip(members):
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return stream.getvalue()


def _zip_bomb():
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(50):
                member.write(block)
    return stream.getvalue()


def _without_header_row():
    book = Workbook()
    book.active.append(["王五", "男", id_number(91)])
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def _empty_sheet():
    stream = io.BytesIO()
    Workbook().save(stream)
    return stream.getvalue()


FILE_PROBLEMS = [
    ("renamed-exe", "花名册.xlsx", b"MZ\x90\x00" + bytes(2000), "不是有效的 Excel 表格"),
    ("random-bytes-csv", "花名册.csv", random.Random(7).randbytes(4096), "不是有效的 CSV 表格"),
    ("undecodable-csv", "花名册.csv", "姓名,身份证号\n".encode() + b"\x80\xff\x80\xff\n", "无法识别文件的文字编码"),
    ("wrong-extension", "花名册.exe", b"MZ", "仅支持 .xlsx 或 .csv"),
    ("text-extension", "花名册.txt", "姓名,性别\n".encode(), "仅支持 .xlsx 或 .csv"),
    ("old-xls", "花名册.xls", b"\xd0\xcf\x11\xe0", "不支持旧版 .xls"),
    ("encrypted", "花名册.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)
     + "EncryptedPackage".encode("utf-16-le"), "已加密"),
    ("zip-bomb", "花名册.xlsx", None, "疑似压缩炸弹"),
    ("zip-not-workbook", "花名册.xlsx", _zip({"readme.txt": "hello"}), "不是有效的 Excel 表格"),
    ("truncated", "花名册.xlsx", None, "文件已损坏"),
    ("corrupt-xml", "花名册.xlsx", _zip({"[Content_Types].xml": "<", "xl/workbook.xml": "<"}), "文件已损坏"),
    ("empty-file", "花名册.csv", b"", "上传的文件是空的"),
    ("empty-sheet", "花名册.xlsx", None, "表格是空的"),
    ("no-header", "花名册.xlsx", None, "未找到表头行"),
    ("header-only", "花名册.xlsx", None, "表头下没有数据行"),
    ("missing-column", "花名册.xlsx", None, "缺少必填列：手机号、政治面貌"),
    ("duplicate-header", "花名册.csv", "姓名,姓名,性别\n张三,张三,男\n".encode(), "表头中“姓名”列出现了不止一次"),
    ("duplicate-alias", "花名册.csv", "姓名,身份证号,身份证号码\n张三,1,1\n".encode(),
     "表头中“身份证号”列出现了不止一次"),
]


def _file_problem_data(case):
    name, data = case[0], case[2]
    if data is not None:
        return data
    if name == "zip-bomb":
        return _zip_bomb()
    if name == "truncated":
        return xlsx_bytes([person_row(92)])[:-300]
    if name == "empty-sheet":
        return _empty_sheet()
    if name == "no-header":
        return _without_header_row()
    if name == "header-only":
        return xlsx_bytes([])
    headers = [h for h in HEADERS if h not in ("手机号", "政治面貌")]
    return xlsx_bytes([person_row(93)], headers)


@pytest.mark.parametrize("case", FILE_PROBLEMS, ids=[case[0] for case in FILE_PROBLEMS])
def test_file_level_problem_gives_a_chinese_message(world, login_as, case):
    client = login_as(world.users.admin)
    before = person_count()
    response = upload(client, _file_problem_data(case), case[1])
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert case[3] in page and "invalid-feedback" in page
    assert person_count() == before and batches() == []


def test_too_many_rows_is_refused(world, login_as, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 3)
    client = login_as(world.users.admin)
    page = upload(client, xlsx_bytes([person_row(n) for n in range(94, 98)])).get_data(as_text=True)
    assert "数据超过上限 3 行" in page
    assert batches() == []


def test_upload_over_the_size_limit_answers_413(world, login_as):
    client = login_as(world.users.admin)
    response = upload(client, b"x" * (10 * 1024 * 1024), "花名册.csv")
    assert response.status_code == 413
    assert "上传文件过大" in response.get_data(as_text=True)
    assert batches() == []


# --- pages and the template -----------------------------------------------------------------------

def test_import_page_lists_columns_and_carries_csrf(world, app, csrf_client):
    factories_login = csrf_client.get("/login").get_data(as_text=True)
    assert "csrf_token" in factories_login
    token = factories_login.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    csrf_client.post("/login", data={"identifier": "admin", "password": factories.PASSWORD, "csrf_token": token})
    page = csrf_client.get("/roster/import").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page
    assert "整个文件全部正确才会写入；有错误时不会写入任何数据" in page
    assert "/roster/import/template" in page
    for column in importer.COLUMNS:
        assert column.header in page
    assert "<strong>身份证号</strong><span class=\"text-danger\" title=\"必填\">*</span>" in page
    assert "<strong>工号</strong><span" not in page
    assert "style=" not in page and "<script>" not in page



def _upload_form(page):
    return re.search(r'<form method="post" enctype="multipart/form-data" novalidate class="card card-body" '
                     r'data-testid="import-form">(.*?)</form>', page, re.S).group(1)


def test_import_page_upload_form_and_a_post_without_a_file(world, login_as):
    client = login_as(world.users.admin)
    response = client.get("/roster/import")
    assert response.status_code == 200
    form = _upload_form(response.get_data(as_text=True))
    assert '<label class="form-label" for="file">花名册文件（.xlsx 或 .csv）</label>' in form
    assert '<input class="form-control" id="file" name="file" required type="file">' in form
    assert ('<div class="form-text">支持 .xlsx 和 .csv（UTF-8 或 GBK 编码）；文件不超过 8 MB，最多 20000 行；'
            '只读取第一个工作表。</div>') in form
    assert "逐行列出问题，供修改后重新上传。</div>" in form
    assert '<button class="btn btn-party" type="submit">上传并检查</button>' in form
    refused = client.post("/roster/import", data={}, content_type="multipart/form-data")
    assert refused.status_code == 200
    form = _upload_form(refused.get_data(as_text=True))
    assert 'class="form-control is-invalid" id="file" name="file"' in form
    assert '<div class="invalid-feedback d-block">请选择要导入的文件</div>' in form
    assert batches() == []


def test_secretary_cannot_reach_the_import_pages(world, login_as):
    client = login_as(world.users.secretary)
    assert client.get("/roster/import").status_code == 403
    assert client.get("/roster/import/template").status_code == 403
    assert upload(client, xlsx_bytes([person_row(99)])).status_code == 403


def test_template_has_the_headers_and_text_formatted_number_columns(world, login_as):
    client = login_as(world.users.admin)
    response = client.get("/roster/import/template")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert [h.rstrip("*") for h in headers] == HEADERS
    assert headers[0] == "姓名*" and headers[4] == "工号"
    for letter in ("C", "D", "E"):
        assert sheet.column_dimensions[letter].number_format == "@"
    assert sheet.freeze_panes == "A2"
    # The template itself, filled in, is accepted.
    sheet.append([person_row(98).get(h.rstrip("*")) for h in headers])
    filled = io.BytesIO()
    book.save(filled)
    assert upload(client, filled.getvalue()).status_code == 302
    assert services.find_person_by_id_number(id_number(98)) is not None


def test_a_clash_at_insert_time_becomes_a_conflict(world, monkeypatch):
    batch, report = importer.stage(world.users.admin, FileStorage(
        io.BytesIO(xlsx_bytes([person_row(88), person_row(89)])), "a.xlsx"))
    assert report.ok
    # Another import wrote the same phone after this file was checked.
    factories.make_person(world.unit_a, "抢先者", phone="13700000089")
    monkeypatch.setattr(importer, "_duplicates_in_roster", lambda checked: [])
    before = person_count()
    with pytest.raises(ConflictError, match="请重新上传核对"):
        importer.commit(world.users.admin, batch.id, only_valid=True)
    assert person_count() == before


def test_stale_pending_uploads_expire_and_their_files_are_deleted(world, now):
    bad = xlsx_bytes([person_row(1, 身份证号="123")])
    batch, report = importer.stage(world.users.admin, FileStorage(io.BytesIO(bad), filename="a.xlsx"))
    db.session.commit()
    path = importer.stored_path(batch)
    assert not report.ok and path.exists()
    now.advance(hours=25)
    a_day_before = (clock.utcnow() - timedelta(hours=25)).timestamp()
    os.utime(path, (a_day_before, a_day_before))
    importer.expire_stale_batches()
    db.session.commit()
    db.session.refresh(batch)
    assert batch.status == "expired" and not path.exists()
    with pytest.raises(ConflictError):
        importer.commit(world.users.admin, batch.id, only_valid=True)
