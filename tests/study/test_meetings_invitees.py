"""Whom a session invites by default, per kind: 支委会 the branch committee, 党小组会 the chosen group,
every other kind the branch's members and activists on post; and the 党小组 picker of the form."""

import re

import pytest
from sqlalchemy import select

from portal.accounts.models import RoleGrant
from portal.core.exceptions import ValidationError
from portal.core.permissions import Role
from portal.extensions import db
from portal.roster.models import OrgKind
from portal.study.models.meetings import MeetingAttendee
from portal.study.services import meetings
from tests import factories
from tests.conftest import keyed
from tests.study.meeting_helpers import draft


@pytest.fixture()
def groups(world):
    """Two 党小组 of branch_a: 张三 and 成员甲 in the first, 李四 in the second; 王书记 in none."""
    first = factories.make_org("第一党小组", OrgKind.GROUP, world.branch_a)
    second = factories.make_org("第二党小组", OrgKind.GROUP, world.branch_a)
    elsewhere = factories.make_org("掘进党小组", OrgKind.GROUP, world.branch_b)
    extra = factories.make_person(world.unit_a, "成员甲")
    world.people.member.group_id = extra.group_id = first.id
    world.people.activist.group_id = second.id
    world.people.staff.group_id = first.id  # 群众: in the group, yet not invited by default
    db.session.commit()
    return first, second, elsewhere, extra


def _ticked(page):
    """Ids of the ticked and of all offered attendee boxes."""
    boxes = re.findall(r"<input[^>]*attendee_ids[^>]*>", page)
    ids = [int(re.search(r'value="(\d+)"', box).group(1)) for box in boxes]
    return {i for i, box in zip(ids, boxes, strict=True) if "checked" in box}, set(ids)


def _defaults_of(page, person):
    box = next(b for b in re.findall(r"<input[^>]*attendee_ids[^>]*>", page) if f'value="{person.id}"' in b)
    return set(re.search(r'data-defaults="([^"]*)"', box).group(1).split())


def _ids(*people):
    return {p.id for p in people}


def test_every_kind_but_two_invites_the_branchs_members_and_activists(world):
    people = world.people
    for kind in ("seminar", "general_meeting", "party_lecture", "theme_day", None):
        assert set(meetings.default_attendee_ids(world.branch_a.id, kind)) == _ids(
            people.secretary, people.member, people.activist)


def test_committee_meeting_invites_the_branch_committee_only(client, world, login_as):
    people = world.people
    assert meetings.default_attendee_ids(world.branch_a.id, "committee_meeting") == [people.secretary.id]
    meeting = meetings.schedule(world.users.secretary, world.branch_a.id, draft(kind="committee_meeting"))
    assert meetings.attendee_ids(meeting.id) == [people.secretary.id]
    db.session.commit()

    login_as(world.users.secretary)
    page = client.get("/study/meetings/new?kind=committee_meeting").get_data(as_text=True)
    ticked, offered = _ticked(page)
    assert ticked == {people.secretary.id} and _ids(people.member, people.activist, people.staff) <= offered
    assert "支委会默认勾选本支部的支部书记和组织委员" in page and "其他支委请手动勾选" in page
    assert "committee_meeting" in _defaults_of(page, people.secretary)
    assert "committee_meeting" not in _defaults_of(page, people.member)


def test_a_branch_without_known_committee_members_makes_the_secretary_pick(client, world, login_as):
    people = world.people
    factories.make_person(world.unit_b, "周七")
    db.session.commit()
    assert meetings.default_attendee_ids(world.branch_b.id, "committee_meeting") == []
    with pytest.raises(ValidationError, match="系统中没有本支部支委的记录，请勾选参加支委会的支委"):
        meetings.schedule(world.users.committee, world.branch_b.id, draft(kind="committee_meeting"))
    db.session.rollback()

    login_as(world.users.committee)  # the committee's own grant is on the 党委, not on this branch
    page = client.get(f"/study/meetings/new?branch_id={world.branch_b.id}&kind=committee_meeting")
    ticked, offered = _ticked(page.get_data(as_text=True))
    assert ticked == set() and people.other.id in offered
    assert "系统中没有本支部支委的记录（没有人持有本支部的“支部书记”角色），请勾选参加支委会的支委" in page.get_data(
        as_text=True)


def test_a_member_holding_the_secretary_role_is_on_the_committee_list(world):
    db.session.add(RoleGrant(user=world.users.member, role=Role.SECRETARY, organisation=world.branch_a))  # 组织委员
    factories.make_user(world.people.other, roles=[(Role.SECRETARY, world.branch_b)])
    assert set(meetings.default_attendee_ids(world.branch_a.id, "committee_meeting")) == _ids(
        world.people.secretary, world.people.member)


def test_group_meeting_invites_the_chosen_groups_members(world, groups):
    first, second, elsewhere, extra = groups
    people = world.people
    assert set(meetings.default_attendee_ids(world.branch_a.id, "group_meeting", first.id)) == _ids(
        people.member, extra)
    meeting = meetings.schedule(world.users.secretary, world.branch_a.id,
                                draft(kind="group_meeting", group_id=second.id))
    assert meetings.attendee_ids(meeting.id) == [people.activist.id]
    with pytest.raises(ValidationError, match="请选择党小组"):
        meetings.schedule(world.users.secretary, world.branch_a.id, draft(kind="group_meeting"))
    with pytest.raises(ValidationError, match="请选择本支部的党小组"):
        meetings.schedule(world.users.secretary, world.branch_a.id,
                          draft(kind="group_meeting", group_id=elsewhere.id))


def test_the_form_offers_the_branchs_groups_and_ticks_the_chosen_one(client, world, login_as, groups):
    first, second, elsewhere, extra = groups
    people = world.people
    login_as(world.users.secretary)
    page = client.get(f"/study/meetings/new?kind=group_meeting&group_id={first.id}").get_data(as_text=True)
    picker = re.search(r'<select[^>]*name="group_id".*?</select>', page, re.S).group(0)
    assert "第一党小组" in picker and "第二党小组" in picker and "掘进党小组" not in picker
    assert re.search(rf'<option selected value="{first.id}">|<option value="{first.id}" selected', picker)
    ticked, _ = _ticked(page)
    assert ticked == _ids(people.member, extra)
    # What the page's script ticks when the group or kind changes, named on each box.
    assert _defaults_of(page, people.activist) >= {f"group_meeting:{second.id}", "seminar"}
    assert _defaults_of(page, people.staff) == set()  # 群众 are ticked by hand

    no_group = client.get("/study/meetings/new?kind=group_meeting").get_data(as_text=True)
    assert _ticked(no_group)[0] == set()


def test_the_picked_group_and_ticked_boxes_are_what_is_saved(client, world, login_as, groups):
    first, _second, elsewhere, extra = groups
    login_as(world.users.secretary)
    form = {"kind": "group_meeting", "group_id": str(first.id), "topic": "党小组学习", "place": "会议室",
            "starts_local": "2030-05-20T14:30", "ends_local": "2030-05-20T16:00", "branch_id": str(world.branch_a.id),
            "speakers-0-role": "expert", "speakers-1-role": "expert",
            "attendee_ids": [str(world.people.member.id), str(extra.id)]}
    assert client.post("/study/meetings/new", data=keyed(form)).status_code == 302
    assert set(db.session.scalars(select(MeetingAttendee.person_id))) == _ids(world.people.member, extra)
    foreign = client.post("/study/meetings/new", data=keyed(form, group_id=str(elsewhere.id)))
    assert "请选择本支部的党小组" in foreign.get_data(as_text=True)


def test_a_branch_without_groups_says_so_in_the_form(client, world, login_as):
    login_as(world.users.secretary)
    page = client.get("/study/meetings/new?kind=group_meeting").get_data(as_text=True)
    assert "本支部还没有党小组" in page and 'name="group_id"' not in page
