"""Branch sessions on a phone: a secretary takes the attendance of 16 people in one pass and one
submit, a member checks in on the number pad, and a 党小组会 invites the group picked."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.core import clock
from portal.extensions import db
from portal.roster.models import OrgKind
from portal.study.models.meetings import MeetingAttendee
from portal.study.services import attendance
from tests import factories
from tests.e2e.conftest import check_layout, follow, identifier_of, login
from tests.study.meeting_helpers import make_meeting

pytestmark = pytest.mark.parametrize("viewport", ["phone"], indirect=True)


def _running_session(world, extra):
    """A session of branch_a that began ten minutes ago, with its default list and `extra` more members."""
    added = [factories.make_person(world.unit_a, f"队员{n:02d}") for n in range(extra)]
    starts = clock.localnow().replace(second=0, microsecond=0, tzinfo=None) - timedelta(minutes=10)
    meeting = make_meeting(world, starts=starts)
    db.session.commit()
    return meeting, added


def test_attendance_of_sixteen_people_in_one_submit(page, world):
    meeting, added = _running_session(world, extra=13)
    people = [world.people.secretary, world.people.member, world.people.activist, *added]
    assert len(people) == 16
    for person in added[:2]:  # two checked in with the code already
        attendance.check_in(person, meeting.id, meeting.checkin_code)
    db.session.commit()
    present, leave, absent = added[2:12], [added[12], world.people.activist], [world.people.member,
                                                                              world.people.secretary]

    login(page, identifier_of(world.users.secretary))
    page.goto(f"/study/meetings/{meeting.id}/attendance")
    check_layout(page)  # the choices are 44px targets, nothing sticks out sideways
    bar = page.get_by_test_id("attendance-bar")
    expect(bar).to_be_in_viewport()  # the save bar stays in reach from the top of the list
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)

    def choose(person, label):
        page.get_by_test_id(f"line-{person.id}").get_by_role("radiogroup").get_by_text(label, exact=True).click()

    for person in present:
        choose(person, "出席")
    for person in leave:
        choose(person, "请假")
        expect(page.get_by_test_id(f"line-{person.id}").get_by_role("textbox")).to_be_focused()
        page.keyboard.type("夜班下井")
    for person in absent:
        choose(person, "缺席")
    expect(page.get_by_test_id("live-totals")).to_have_text(re.compile(r"出席 12 · 请假 2 · 缺席 2 · 未登记 0"))
    follow(page.get_by_test_id("save-attendance"))

    expect(page.get_by_role("alert").first).to_contain_text(
        "已保存 16 人的考勤：出席 12 人，请假 2 人，缺席 2 人（本次更改 14 人）")
    assert len(posts) == 1, posts
    expect(page.get_by_test_id("totals")).to_contain_text("应到 16 人：出席 12，请假 2，缺席 2")
    check_layout(page)
    db.session.expire_all()
    statuses = dict(db.session.execute(select(MeetingAttendee.person_id, MeetingAttendee.status)
                                       .where(MeetingAttendee.meeting_id == meeting.id)).all())
    assert sorted(statuses.values()).count("present") == 12
    assert {statuses[p.id] for p in leave} == {"leave"} and {statuses[p.id] for p in absent} == {"absent"}

    # The paper record for inspections: the sign-in sheet prints without the portal around it.
    follow(page.get_by_test_id("signin-sheet-link"))
    sheet = page.get_by_test_id("signin-sheet")
    expect(sheet.locator("tbody tr")).to_have_count(16)
    expect(sheet.get_by_test_id(f"signin-{world.people.activist.id}")).to_contain_text("请假")
    print_button = page.get_by_role("button", name="打印签到表")
    expect(print_button).to_be_visible()
    check_layout(page)
    page.emulate_media(media="print")
    expect(page.locator(".navbar")).to_be_hidden()
    expect(print_button).to_be_hidden()
    expect(sheet).to_be_visible()
    page.emulate_media(media="screen")
    with page.expect_download() as download:  # last: a download leaves no load state to wait for
        page.get_by_test_id("attendance-export").click()
    assert download.value.suggested_filename.startswith("考勤表_")
    assert download.value.suggested_filename.endswith(".xlsx")


def test_a_member_checks_in_on_the_number_pad(page, world):
    meeting, _ = _running_session(world, extra=0)
    login(page, identifier_of(world.users.member))
    page.goto(f"/study/meetings/{meeting.id}/checkin")
    box = page.get_by_label("签到码")
    expect(box).to_have_attribute("inputmode", "numeric")
    expect(box).to_have_attribute("autocomplete", "off")
    check_layout(page)
    box.fill(meeting.checkin_code)
    follow(page.get_by_role("button", name="确认签到"))
    expect(page.get_by_role("alert").first).to_contain_text("签到成功")


def test_a_group_meeting_invites_the_group_picked(page, world):
    first = factories.make_org("第一党小组", OrgKind.GROUP, world.branch_a)
    factories.make_org("第二党小组", OrgKind.GROUP, world.branch_a)
    world.people.member.group_id = first.id
    db.session.commit()
    login(page, identifier_of(world.users.secretary))
    page.goto("/study/meetings/new")
    boxes = page.get_by_test_id("attendees").get_by_role("checkbox")
    expect(boxes).to_have_count(4)  # the branch's people on post, 群众 included
    expect(page.get_by_label("党小组", exact=True)).to_be_hidden()  # only for a 党小组会
    check_layout(page)  # each name is a 44px row

    page.get_by_label("会议类型").select_option(label="党小组会")
    expect(page.get_by_label("党小组", exact=True)).to_be_visible()
    for box in boxes.all():
        expect(box).not_to_be_checked()  # nobody until a group is picked
    page.get_by_label("党小组", exact=True).select_option(label="第一党小组")
    expect(page.get_by_label(re.compile(r"^张三"))).to_be_checked()
    expect(page.get_by_label(re.compile(r"^李四"))).not_to_be_checked()
    check_layout(page)

    page.get_by_label("会议类型").select_option(label="支委会")
    expect(page.get_by_test_id("committee-hint")).to_be_visible()
    expect(page.get_by_label(re.compile(r"^王书记"))).to_be_checked()
    expect(page.get_by_label(re.compile(r"^张三"))).not_to_be_checked()
