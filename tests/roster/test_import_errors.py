"""The check page's full error list as a sheet in the user's own columns, and the busy submit button."""

import io
import re
from datetime import datetime

from openpyxl import load_workbook

from portal.core.permissions import Role
from portal.extensions import db
from portal.roster import importer
from tests import factories
from tests.conftest import login
from tests.roster.importing import batches, csv_bytes, id_number, person_count, person_row, upload, xlsx_bytes

OWN_HEADERS = ["序号", "姓 名", "性别", "公民身份号码", "手机号码", "工号", "所在单位", "政治面貌", "入党日期", "备注"]
TITLE = ["示范煤矿职工花名册（2026 年）"]


def _own_row(n, **changes):
    """A row under OWN_HEADERS (the office's own spellings and extra columns)."""
    row = person_row(n)
    row.update({"序号": n, "公民身份号码": row["身份证号"], "手机号码": row["手机号"], "所在单位": row["单位"],
                "入党日期": row["入党时间"], "备注": f"备注{n}"})
    row.update(changes)
    return row


def _sheet(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return sheet, rows[0], rows[1:]


def _download_url(page):
    return re.search(r'href="([^"]*/roster/import/\d+/errors\.xlsx)"', page).group(1)


def test_every_refused_row_comes_back_in_the_users_columns_with_its_reason(world, login_as):
    client = login_as(world.users.admin)
    good = [_own_row(200 + n) for n in range(5)]
    bad_phone = _own_row(210, 手机号码="1380013")
    bad_unit = _own_row(211, 所在单位="通风九队", 入党日期=datetime(2011, 3, 5))
    two_errors = _own_row(212, 手机号码="12", 入党日期="2009-13")
    rows = [good[0], bad_phone, good[1], bad_unit, good[2], two_errors, good[3], good[4]]
    page = upload(client, xlsx_bytes(rows, OWN_HEADERS, before=[TITLE])).get_data(as_text=True)
    assert "错误 3 行" in page
    assert "下载全部 3 行错误（Excel）" in page and 'data-testid="error-download-more"' in page  # above and below
    sheet, headers, refused = _sheet(client.get(_download_url(page)))
    assert headers == ("原行号", *OWN_HEADERS, "错误原因")
    assert [r[0] for r in refused] == [4, 6, 8]  # the rows as Excel numbers them (title row, header row)
    by_row = {r[0]: dict(zip(headers, r, strict=True)) for r in refused}
    assert by_row[4]["手机号码"] == "1380013" and by_row[4]["备注"] == "备注210" and by_row[4]["序号"] == 210
    assert by_row[4]["公民身份号码"] == id_number(210)  # the user's own number, unmasked, to fix it
    assert by_row[4]["错误原因"] == "手机号：手机号应为 11 位大陆手机号码"
    assert by_row[6]["所在单位"] == "通风九队" and by_row[6]["入党日期"] == datetime(2011, 3, 5)
    assert "单位“通风九队”不存在" in by_row[6]["错误原因"]
    assert by_row[8]["错误原因"].startswith("手机号：手机号应为 11 位大陆手机号码；入党时间：入党时间不是有效日期")
    assert sheet.column_dimensions["E"].number_format == "@"  # 公民身份号码 stays text in Excel
    assert batches()[0].status == "pending"


def test_the_download_lists_every_bad_row_beyond_the_pages_limit(world, login_as):
    client = login_as(world.users.admin)
    rows = [person_row(n, 手机号=f"1{n:05d}") for n in range(1000, 1000 + importer.Report.shown_limit + 101)]
    rows.insert(3, person_row(3000))
    page = upload(client, xlsx_bytes(rows)).get_data(as_text=True)
    assert "另有 101 条错误未列出，请下载全部错误行查看并修改。" in page
    assert 'data-testid="error-download-more">下载全部错误行（Excel）</a>' in page
    _sheet_, headers, refused = _sheet(client.get(_download_url(page)))
    assert len(refused) == importer.Report.shown_limit + 101
    numbers = [r[0] for r in refused]
    assert 5 not in numbers and numbers == sorted(numbers) and numbers[-1] == len(rows) + 1
    assert all(r[-1] == "手机号：手机号应为 11 位大陆手机号码" for r in refused)
    assert headers[1:-1] == tuple(importer.HEADERS)


def test_a_downloaded_sheet_fixed_in_excel_imports_again(world, login_as):
    client = login_as(world.users.admin)
    rows = [person_row(220), person_row(221, 手机号="139"), person_row(222)]
    page = upload(client, xlsx_bytes(rows)).get_data(as_text=True)
    book = load_workbook(io.BytesIO(client.get(_download_url(page)).data))
    sheet = book.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    sheet.cell(row=2, column=headers.index("手机号") + 1).value = "13900000221"
    fixed = io.BytesIO()
    book.save(fixed)
    before = person_count()
    assert upload(client, fixed.getvalue(), "花名册-错误行.xlsx").status_code == 302
    assert person_count() == before + 1


def test_only_the_uploader_may_download_and_a_member_may_not(app, world, login_as):
    client = login_as(world.users.admin)
    page = upload(client, xlsx_bytes([person_row(230, 手机号="1")])).get_data(as_text=True)
    url = _download_url(page)
    other_importer = factories.make_user(login_name="other-committee", roles=[(Role.COMMITTEE, world.committee)])
    db.session.commit()
    for user, status in ((world.users.member, 403), (world.users.secretary, 403), (other_importer, 404)):
        other = app.test_client()
        login(other, user)
        response = other.get(url)
        assert response.status_code == status, (user, response.status_code)
        assert b"PK" not in response.data[:2]
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.location


def test_after_the_import_the_download_is_gone(world, login_as):
    client = login_as(world.users.admin)
    page = upload(client, xlsx_bytes([person_row(240), person_row(241, 手机号="1")])).get_data(as_text=True)
    (batch,) = batches()
    assert client.post(f"/roster/import/{batch.id}/accept").status_code == 302
    response = client.get(_download_url(page), follow_redirects=True)
    assert response.request.path == "/roster/import"
    assert "该文件已经处理过或已过期，请重新上传" in response.get_data(as_text=True)


def test_the_upload_form_says_it_is_checking_and_works_without_script(world, login_as):
    client = login_as(world.users.admin)
    page = client.get("/roster/import").get_data(as_text=True)
    assert 'data-busy-label="正在检查…' in page
    assert '<script src="/static/js/busy-submit.js"></script>' in page
    script = client.get("/static/js/busy-submit.js")
    assert script.status_code == 200 and "正在检查…".encode() in script.data
    assert b"http" not in script.data  # no network, no library
    # The form itself is a plain multipart POST: without the script it submits the same way.
    assert '<form method="post" enctype="multipart/form-data"' in page
    assert '<button class="btn btn-party" type="submit">上传并检查</button>' in page


def test_a_csv_upload_gets_its_refused_rows_back_as_a_sheet(world, login_as):
    client = login_as(world.users.admin)
    rows = [person_row(250), person_row(251, 身份证号="6101"), person_row(252, 工种="=1+2")]
    page = upload(client, csv_bytes(rows), "花名册.csv").get_data(as_text=True)
    response = client.get(_download_url(page))
    assert 'filename*=UTF-8' in response.headers["Content-Disposition"]
    assert "%E9%94%99%E8%AF%AF%E8%A1%8C.xlsx" in response.headers["Content-Disposition"]  # 花名册-错误行.xlsx
    _sheet_, headers, refused = _sheet(response)
    by_row = {r[0]: dict(zip(headers, r, strict=True)) for r in refused}
    assert set(by_row) == {3, 4}
    assert by_row[3]["身份证号"] == "6101" and "身份证号应为 18 位" in by_row[3]["错误原因"]
    assert by_row[4]["工种"] == "'=1+2"  # handed back, but inert in Excel
    assert importer.FORMULA_MESSAGE in by_row[4]["错误原因"]
