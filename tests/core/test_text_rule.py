"""The one text rule (core.text): in the rule itself, in every form field, in import cells and exports."""

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import PasswordField, StringField, TextAreaField

from portal.core import text, xlsx
from portal.core.forms import CodeField, PortalForm
from portal.core.idcard import mask_identifier, normalise_phone, parse_id_number
from portal.credits.models import CreditAdjustment
from portal.extensions import db
from portal.roster.models import Person
from tests.conftest import keyed
from tests.factories import make_id_number
from tests.roster.test_people import _person_form

ZWSP, RLO, BOM, NEL = "\u200b", "\u202e", "\ufeff", "\x85"


@pytest.mark.parametrize(("raw", "cleaned"), [
    ("王\x07强", "王强"),
    ("王\x00强", "王强"),
    (f"{ZWSP}", ""),
    (f" {ZWSP}\u200d{BOM} ", ""),
    (f"张{RLO}三", "张三"),
    (f"gpj{RLO}.exe", "gpj.exe"),
    ("e\u0301", "\u00e9"),  # NFC: e + combining acute is one character
    (f"第一行\n第二行\t完{NEL}", "第一行 第二行 完"),
    ("  前后空格  ", "前后空格"),
    ("\u3000全角空格\u3000", "全角空格"),
])
def test_single_line_text_loses_what_cannot_be_seen(raw, cleaned):
    assert text.clean(raw) == cleaned


def test_multi_line_text_keeps_tab_and_newline_only():
    assert text.clean("一\r\n二\r三\t四\x0b\x1f五\u2028六", multiline=True) == "一\n二\n三\t四五\n六"


def test_codes_fold_full_width_digits_and_letters():
    assert text.clean_code("１３８　１２３４　５６７８") == "138 1234 5678"
    assert text.clean_code("ｚ１００１") == "z1001"
    assert text.clean(None) is None and text.clean_code(None) is None


def test_file_names_lose_paths_reserved_characters_and_bidi_overrides():
    assert text.clean_filename(f"会议{RLO}gpj.exe") == "会议gpj.exe"
    assert text.clean_filename('..\\..\\etc/passwd') == "_.._etc_passwd"
    assert text.clean_filename(f"{ZWSP} . ") == "附件"
    long = text.clean_filename("长" * 300 + ".pdf")
    assert len(long) == text.FILENAME_MAX and long.endswith(".pdf")


class _AllKinds(PortalForm):
    class Meta:
        csrf = False

    name = StringField("姓名")
    body = TextAreaField("正文")
    phone = CodeField("手机号")
    password = PasswordField("密码")


def test_every_kind_of_form_field_applies_the_rule(app):
    posted = MultiDict({"name": f"王{ZWSP}\x07强\n", "body": f"甲\r\n乙{RLO}", "phone": "１３８１２３４５６７８",
                        "password": f" 密码{ZWSP} "})
    with app.test_request_context(method="POST", data=posted):
        form = _AllKinds()
        assert (form.name.data, form.body.data, form.phone.data) == ("王强", "甲\n乙", "13812345678")
        assert form.password.data == f" 密码{ZWSP} "  # a password is taken exactly as typed


def test_a_required_field_holding_only_invisible_text_is_missing(world, login_as):
    client = login_as(world.users.secretary)
    page = client.post("/roster/new", data=keyed(_person_form(world, name=ZWSP + RLO))).get_data(as_text=True)
    assert "请填写姓名" in page
    assert db.session.scalar(select(Person).where(Person.id_hash.is_not(None), Person.name == "")) is None


def test_a_control_character_in_a_name_never_reaches_the_roster_or_its_export(world, login_as):
    client = login_as(world.users.secretary)
    data = _person_form(world, name="孙\x07七\x00", phone="＋８６ １３９ １２３４ ５６７８",
                        id_number=make_id_number(serial=322).replace("1", "１"), employee_no="Ｚ１００２")
    assert client.post("/roster/new", data=keyed(data)).status_code == 302
    person = db.session.scalar(select(Person).where(Person.name == "孙七"))
    assert person is not None and person.reveal_phone() == "13912345678" and person.employee_no == "Z1002"
    assert person.reveal_id_number() == make_id_number(serial=322)
    response = client.post("/roster/export", data={})
    assert response.status_code == 200
    names = [row[0] for row in load_workbook(io.BytesIO(response.data)).worksheets[0].iter_rows(values_only=True)]
    assert "孙七" in names


def test_an_adjustment_reason_of_invisible_text_is_refused(world, login_as):
    client = login_as(world.users.committee)
    response = client.post("/credits/adjust", data=keyed({"person_id": world.people.member.id, "points": 3,
                                                   "reason": f"{ZWSP}\u200c"}))
    assert "请写明调整原因" in response.get_data(as_text=True)
    assert db.session.scalar(select(CreditAdjustment)) is None


def test_the_export_writer_cannot_meet_an_illegal_character():
    stream = xlsx.write_workbook(["姓名\x00", "=备注"], [["王\x07强", f"=1+1{NEL}"], ["\x1b[31m", "x"]],
                                 extra_sheets=[("说明", ["说明\x0c"])])
    rows = list(load_workbook(stream).worksheets[0].iter_rows(values_only=True))
    assert rows == [("姓名", "'=备注"), ("王强", "'=1+1"), ("[31m", "x")]


def test_import_cells_pass_through_the_rule():
    data = "姓名,手机号,备注\n王\x07强,１３８１２３４５６７８,\"一\n二\"\n".encode()
    table = xlsx.read_table("名单.csv", data, ["姓名", "手机号", "备注"], 10, multiline=("备注",))
    values = table.rows[0].values
    assert values == {"姓名": "王强", "手机号": "１３８１２３４５６７８", "备注": "一\n二"}
    assert normalise_phone(values["手机号"]) == "13812345678"


@pytest.mark.parametrize("typed", ["13812345678", "138 1234 5678", "+86 138-1234-5678", "＋８６１３８１２３４５６７８",
                                   "0086 13812345678"])
def test_phone_like_identifiers_are_masked_however_they_are_written(typed):
    assert normalise_phone(typed) == "13812345678"
    assert mask_identifier(typed) == "138****5678"


def test_id_like_identifiers_are_masked_and_full_width_ids_are_read():
    number = make_id_number(serial=7)
    spaced = f"{number[:6]} {number[6:14]} {number[14:]}"
    assert mask_identifier(spaced) == number[:4] + "*" * 10 + number[-4:]
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number)
    assert parse_id_number(full_width).number == number
    assert mask_identifier("zhangsan") == "zh******"


def test_noncharacters_are_removed_so_an_export_still_opens():
    assert text.clean("党\ufffe建\uffff\ufdd0学习\U0001fffe\U0010ffff") == "党建学习"
    stream = xlsx.write_workbook(["备注"], [["党\ufffe建\uffff"]])
    assert list(load_workbook(stream).worksheets[0].iter_rows(values_only=True)) == [("备注",), ("党建",)]


@pytest.mark.parametrize(("name", "shown"), [
    ("学习党章", "“学习党章”"),
    ("2026年度“六大员”评选", "“2026年度‘六大员’评选”"),  # a quotation inside a quotation: single marks
    ("“两学一做”与“三会一课”", "“‘两学一做’与‘三会一课’”"),
])
def test_a_name_in_quotes_turns_its_own_double_quotes_single(name, shown):
    assert text.quoted(name) == shown
