"""Join dates as offices write them, year-month ones kept as year-month on every page and export."""

import io
import re
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.extensions import db
from portal.roster import dates, importer, services
from portal.roster.dates import DatePrecision, PartialDate
from portal.roster.models import Person
from tests.conftest import login
from tests.roster.importing import (
    HEADERS,
    assert_nothing_written,
    id_number,
    person_count,
    person_row,
    upload,
    xlsx_bytes,
)

DAY, MONTH = DatePrecision.DAY, DatePrecision.MONTH


def _imported(client, joined, n=131, formats=None):
    response = upload(client, xlsx_bytes([person_row(n, 入党时间=joined)], formats=formats))
    assert response.status_code == 302, response.get_data(as_text=True)
    person = services.find_person_by_id_number(id_number(n))
    return person.joined_party_on, person.joined_party_precision


@pytest.mark.parametrize(("joined", "expected"), [
    (datetime(2009, 2, 15), (date(2009, 2, 15), DAY)),
    (date(2009, 2, 15), (date(2009, 2, 15), DAY)),
    ("2009-02-15", (date(2009, 2, 15), DAY)),
    ("2009/2/15", (date(2009, 2, 15), DAY)),
    ("2009.02.15", (date(2009, 2, 15), DAY)),
    ("2009年2月15日", (date(2009, 2, 15), DAY)),
    (" 2009 年 2 月 15 日 ", (date(2009, 2, 15), DAY)),
    ("２００９．０２．１５", (date(2009, 2, 15), DAY)),
    ("２００９年２月１５日", (date(2009, 2, 15), DAY)),
    ("2009.02", (date(2009, 2, 1), MONTH)),
    ("2009/2", (date(2009, 2, 1), MONTH)),
    ("2009-02", (date(2009, 2, 1), MONTH)),
    ("2009年2月", (date(2009, 2, 1), MONTH)),
    ("２００９．０２", (date(2009, 2, 1), MONTH)),
    ("２００９年２月", (date(2009, 2, 1), MONTH)),
    (2009.02, (date(2009, 2, 1), MONTH)),  # typed 2009.02 into a General cell: a number
    (39859, (date(2009, 2, 15), DAY)),  # an Excel serial day number
])
def test_each_join_date_spelling_is_read_with_its_precision(world, login_as, joined, expected):
    client = login_as(world.users.admin)
    assert _imported(client, joined) == expected


@pytest.mark.parametrize("number_format", ['yyyy"年"m"月"', "yyyy-mm", "mmm-yy", "yyyy/m;@"])
def test_an_excel_date_cell_shown_as_year_and_month_is_a_month(world, login_as, number_format):
    client = login_as(world.users.admin)
    joined = _imported(client, datetime(2009, 2, 1), formats={"入党时间": number_format})
    assert joined == (date(2009, 2, 1), MONTH)


def test_an_excel_date_cell_with_a_day_format_keeps_the_day(world, login_as):
    client = login_as(world.users.admin)
    joined = _imported(client, datetime(2009, 2, 15), formats={"入党时间": 'yyyy"年"m"月"d"日"'})
    assert joined == (date(2009, 2, 15), DAY)


@pytest.mark.parametrize("joined", ["2009-13", "2009年13月", "2009", "09.02", "2009-02-30", "二〇〇九年二月",
                                    "2009.02.15.1", True, 2009.123])
def test_a_date_the_rule_cannot_read_stays_a_row_error(world, login_as, joined):
    client = login_as(world.users.admin)
    before = person_count()
    page = upload(client, xlsx_bytes([person_row(132, 入党时间=joined)])).get_data(as_text=True)
    assert "入党时间不是有效日期" in page
    assert_nothing_written(before)


def test_a_month_join_date_still_has_to_make_sense(world, login_as):
    client = login_as(world.users.admin)
    page = upload(client, xlsx_bytes([person_row(133, 入党时间="2999-02")])).get_data(as_text=True)
    assert "入党时间不合理" in page


@pytest.mark.parametrize("text", ["2009.02", "2009/2", "2009-02", "2009年2月", "２００９．０２"])
def test_fields_that_need_a_day_refuse_a_year_and_month(text):
    with pytest.raises(ValueError, match="not a date"):
        dates.parse_date(text)
    assert dates.parse_date(text, allow_month=True) == PartialDate(date(2009, 2, 1), MONTH)


def test_fields_that_need_a_day_read_every_full_spelling():
    for text in ("2009-02-15", "2009/2/15", "2009.02.15", "2009年2月15日", "２００９．０２．１５", "20090215"):
        assert dates.parse_date(text) == PartialDate(date(2009, 2, 15), DAY), text
    assert dates.parse_date(None) is None and dates.parse_date("  ") is None


def test_month_precision_is_shown_as_written_on_the_person_page(world, login_as):
    client = login_as(world.users.admin)
    _imported(client, "2009.02", n=134)
    _imported(client, "2009.02.15", n=135)
    month = services.find_person_by_id_number(id_number(134))
    day = services.find_person_by_id_number(id_number(135))
    month_page = client.get(f"/roster/{month.id}").get_data(as_text=True)
    assert '<span data-testid="joined-party">2009年2月</span>' in month_page and "2009-02-01" not in month_page
    assert '<span data-testid="joined-party">2009年2月15日</span>' in client.get(f"/roster/{day.id}").get_data(
        as_text=True)


def test_the_export_writes_a_month_back_as_a_month(world, login_as):
    client = login_as(world.users.admin)
    _imported(client, "2009年2月", n=136)
    _imported(client, "2009/2/15", n=137)
    response = client.post("/roster/export")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    by_name = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    joined = headers.index("入党时间")
    month_name = person_row(136)["姓名"]
    day_name = person_row(137)["姓名"]
    assert by_name[month_name][joined] == "2009-02"
    assert by_name[day_name][joined] == datetime(2009, 2, 15)


def test_an_exported_month_imports_again_as_a_month(world, login_as):
    assert importer.dates.parse_date(dates.sheet_value(date(2009, 2, 1), MONTH), allow_month=True) == (
        date(2009, 2, 1), MONTH)


def _edit_form(client, person, **changes):
    """What the edit page posts for `person` unchanged (with the form's own hidden fields), plus `changes`."""
    page = client.get(f"/roster/{person.id}/edit").get_data(as_text=True)
    hidden = dict(re.findall(r'<input id="(\w+)" name="\1" type="hidden" value="([^"]*)"', page))
    data = {
        **hidden,
        "name": person.name, "gender": person.gender, "id_number": person.reveal_id_number(),
        "phone": person.reveal_phone(), "employee_no": person.employee_no or "", "unit_id": person.unit_id,
        "job_type": person.job_type, "skill_level": person.skill_level,
        "political_status": person.political_status, "joined_party_on": person.joined_party_on.isoformat(),
        "status": person.status,
    }
    data.update(changes)
    return data


def _stored(person_id):
    db.session.expire_all()
    return db.session.execute(
        select(Person.joined_party_on, Person.joined_party_precision).where(Person.id == person_id)).one()


def test_editing_a_person_keeps_a_month_join_date_unless_the_date_is_changed(client, world):
    login(client, world.users.admin)
    _imported(client, "2009年2月", n=138)
    person = services.find_person_by_id_number(id_number(138))
    form_page = client.get(f"/roster/{person.id}/edit").get_data(as_text=True)
    assert "原记录只到月（2009年2月）" in form_page
    saved = client.post(f"/roster/{person.id}/edit", data=_edit_form(client, person, job_type="支架工"))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert tuple(_stored(person.id)) == (date(2009, 2, 1), MONTH)
    assert "2009年2月" in client.get(f"/roster/{person.id}").get_data(as_text=True)
    changed = client.post(f"/roster/{person.id}/edit", data=_edit_form(client, person, joined_party_on="2009-02-20"))
    assert changed.status_code == 302
    assert tuple(_stored(person.id)) == (date(2009, 2, 20), DAY)


def test_csv_and_xlsx_headers_in_the_helpers_match_the_importer():
    assert HEADERS == importer.HEADERS


def test_a_members_own_page_shows_a_month_join_date_as_written(client, world):
    member = world.people.member
    member.joined_party_on, member.joined_party_precision = date(2009, 2, 1), MONTH
    db.session.commit()
    login(client, world.users.member)
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="panel-me"' in page
    assert '<span class="label">入党时间</span>2009年2月</div>' in page and "2009-02-01" not in page


def test_the_import_page_and_template_say_a_year_and_month_will_do(world, login_as):
    client = login_as(world.users.admin)
    assert "只知道年月的可写 2010-07 或 2010年7月" in client.get("/roster/import").get_data(as_text=True)
    notes = load_workbook(io.BytesIO(client.get("/roster/import/template").data)).worksheets[1]
    assert any("只知道年月的可写 2010-07 或 2010年7月" in (row[0] or "") for row in notes.iter_rows(values_only=True))
