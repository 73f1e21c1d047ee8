"""The attendance sheet kept for inspections: an .xlsx export and a printable sign-in sheet.

Both show what the sheet holds at that moment (the statuses saved, check-in times, who marked,
leave reasons), for the secretary and the committee only; a member is refused.
"""

import io
from datetime import timedelta

from openpyxl import load_workbook

from portal.extensions import db
from portal.study.services import attendance
from tests.study.test_meetings_attendance import START, Sheet, _as_secretary, _meeting


def _saved_sheet(client, world, login_as, now):
    """Member checked in by code; the secretary marks himself present, the activist on leave, one absent."""
    meeting, (extra,) = _meeting(now, world, extra=1)
    people = world.people
    now.set(START + timedelta(minutes=3))
    attendance.check_in(people.member, meeting.id, meeting.checkin_code)
    db.session.commit()
    _as_secretary(now, client, login_as, world, START + timedelta(minutes=30))
    Sheet(client, meeting).set(people.secretary, "present").set(people.activist, "leave", "夜班下井") \
        .set(extra, "absent").send()
    return meeting, extra


def test_the_export_lists_everyone_with_what_the_sheet_saved(client, world, login_as, now):
    meeting, extra = _saved_sheet(client, world, login_as, now)
    response = client.get(f"/study/meetings/{meeting.id}/attendance/export")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "%E8%80%83%E5%8B%A4%E8%A1%A8" in response.headers["Content-Disposition"]  # 考勤表…
    book = load_workbook(io.BytesIO(response.data))
    rows = list(book["考勤"].iter_rows(values_only=True))
    assert rows[0] == ("序号", "姓名", "政治面貌", "考勤", "签到时间", "登记人", "请假原因 / 备注")
    by_name = {row[1]: row for row in rows[1:]}
    assert set(by_name) == {"王书记", "张三", "李四", extra.name}
    assert by_name["张三"][3] == "出席" and by_name["张三"][4] is not None and by_name["张三"][5] is None
    assert by_name["李四"][3] == "请假" and by_name["李四"][6] == "夜班下井"
    assert by_name[extra.name][3] == "缺席" and by_name[extra.name][4] is None
    assert by_name["王书记"][3] == "出席" and by_name["王书记"][5] == world.users.secretary.display_name
    assert [row[0] for row in rows[1:]] == [1, 2, 3, 4]
    facts = [row[0] for row in book["会议信息"].iter_rows(values_only=True)]
    assert f"会议主题：{meeting.topic}" in facts
    assert "应到 4 人：出席 2，请假 1，缺席 1" in facts


def test_the_sign_in_sheet_prints_every_line_with_room_to_sign(client, world, login_as, now):
    meeting, extra = _saved_sheet(client, world, login_as, now)
    attendance_page = client.get(f"/study/meetings/{meeting.id}/attendance").get_data(as_text=True)
    assert f"/study/meetings/{meeting.id}/attendance/print" in attendance_page
    assert f"/study/meetings/{meeting.id}/attendance/export" in attendance_page
    page = client.get(f"/study/meetings/{meeting.id}/attendance/print").get_data(as_text=True)
    assert f"{meeting.branch.name}{meeting.kind_label}签到表" in page
    assert "应到 4 人：出席 2，请假 1，缺席 1" in page
    assert page.count('class="signin-sign"></td>') == 4  # an empty cell to sign in, per person
    for person, label in [(world.people.member, "出席"), (world.people.activist, "请假"), (extra, "缺席")]:
        row = page.split(f'data-testid="signin-{person.id}"')[1].split("</tr>")[0]
        assert person.name in row and label in row
    assert "夜班下井" in page.split(f'data-testid="signin-{world.people.activist.id}"')[1].split("</tr>")[0]
    assert "js/print.js" in page and "data-print" in page


def test_a_member_gets_neither(client, world, login_as, now):
    meeting, _ = _meeting(now, world)
    login_as(world.users.member)
    assert client.get(f"/study/meetings/{meeting.id}/attendance/export").status_code == 403
    assert client.get(f"/study/meetings/{meeting.id}/attendance/print").status_code == 403
