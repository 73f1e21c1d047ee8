"""Minutes and reflections: when they can be written, the minimum length, grading once with credits."""

from datetime import timedelta

from sqlalchemy import select

from portal.core.permissions import Role
from portal.credits.models import LedgerEntry
from portal.extensions import db
from portal.study.models.meetings import Meeting, MeetingReflection
from tests import factories
from tests.study.meeting_helpers import local, make_meeting

START = local(2026, 5, 20, 14, 30)
TEXT = "通过这次研讨，我进一步认识到安全生产责任重于泰山，要把学习成果转化为井下标准化作业的实际行动。" * 2


def _meeting(now, world):
    now.set(START - timedelta(days=1))
    meeting = make_meeting(world, starts=START.replace(tzinfo=None))
    db.session.commit()
    return meeting


def _as(now, client, login_as, user, moment):
    now.set(moment)
    client.post("/logout")
    return login_as(user)


def _reflection(person):
    db.session.expire_all()
    return db.session.scalar(select(MeetingReflection).where(MeetingReflection.person_id == person.id))


def _credits(person):
    return db.session.scalars(select(LedgerEntry).where(LedgerEntry.person_id == person.id,
                                                        LedgerEntry.rule_code == "reflection")).all()


def test_reflection_waits_for_the_start_and_has_a_minimum_length(client, world, login_as, now):
    meeting = _meeting(now, world)
    url = f"/study/meetings/{meeting.id}/reflection"
    _as(now, client, login_as, world.users.member, START - timedelta(minutes=5))
    early = client.post(url, data={"body": TEXT}).get_data(as_text=True)
    assert "会议开始后才能提交心得体会" in early and _reflection(world.people.member) is None
    _as(now, client, login_as, world.users.member, START + timedelta(hours=3))
    short = client.post(url, data={"body": "很受教育，  收获很大。"}).get_data(as_text=True)
    assert "心得体会至少 50 字（不计空格），目前 10 字" in short and _reflection(world.people.member) is None
    assert client.post(url, data={"body": TEXT}).status_code == 302
    assert _reflection(world.people.member).body == TEXT
    assert client.post(url, data={"body": TEXT + "补充一句。"}).status_code == 302
    assert _reflection(world.people.member).body.endswith("补充一句。")


def test_grading_awards_scored_credits_once_and_is_final(client, world, login_as, now):
    meeting = _meeting(now, world)
    _as(now, client, login_as, world.users.member, START + timedelta(hours=3))
    client.post(f"/study/meetings/{meeting.id}/reflection", data={"body": TEXT})
    reflection = _reflection(world.people.member)
    _as(now, client, login_as, world.users.secretary, START + timedelta(hours=4))
    url = f"/study/reflections/{reflection.id}/grade"
    bad = client.post(url, data={"grade": "101"}, follow_redirects=True).get_data(as_text=True)
    assert "成绩应为 0 到 100 之间的整数" in bad and _reflection(world.people.member).grade is None
    client.post(url, data={"grade": "80", "comment": "联系实际，较好"})
    graded = _reflection(world.people.member)
    assert (graded.grade, graded.grade_comment) == (80, "联系实际，较好")
    entries = _credits(world.people.member)
    assert [(e.points, e.source_type, e.source_id) for e in entries] == [(4, "reflection", reflection.id)]  # 5 × 80%
    again = client.post(url, data={"grade": "100"}, follow_redirects=True).get_data(as_text=True)
    assert "成绩确定后不能修改" in again
    assert _reflection(world.people.member).grade == 80 and len(_credits(world.people.member)) == 1
    # Graded reflections can no longer be edited by their author.
    _as(now, client, login_as, world.users.member, START + timedelta(hours=5))
    locked = client.post(f"/study/meetings/{meeting.id}/reflection", data={"body": TEXT + "改"})
    assert "已评分" in locked.get_data(as_text=True) and _reflection(world.people.member).body == TEXT


def test_another_branch_cannot_read_or_grade_reflections(client, world, login_as, now):
    meeting = _meeting(now, world)
    db.session.add(MeetingReflection(meeting_id=meeting.id, person_id=world.people.member.id, body=TEXT))
    other_secretary = factories.make_user(world.people.other, roles=[(Role.SECRETARY, world.branch_b)])
    db.session.commit()
    reflection = _reflection(world.people.member)
    _as(now, client, login_as, other_secretary, START + timedelta(hours=3))
    assert client.get(f"/study/meetings/{meeting.id}/reflections").status_code == 404
    assert client.post(f"/study/reflections/{reflection.id}/grade", data={"grade": "90"}).status_code == 404
    assert _reflection(world.people.member).grade is None and _credits(world.people.member) == []


def test_script_in_reflections_and_minutes_never_reaches_the_browser(client, world, login_as, now):
    meeting = _meeting(now, world)
    evil = TEXT + '<script>alert("r")</script><a href="javascript:alert(1)">点我</a><svg onload=alert(3)>'
    _as(now, client, login_as, world.users.member, START + timedelta(hours=3))
    assert client.post(f"/study/meetings/{meeting.id}/reflection", data={"body": evil}).status_code == 302
    _as(now, client, login_as, world.users.secretary, START + timedelta(hours=3))
    client.post(f"/study/meetings/{meeting.id}/minutes", data={"minutes": '# 会议记录\n<script>alert("m")</script>'})
    for url in (f"/study/meetings/{meeting.id}/reflections", f"/study/meetings/{meeting.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page and "javascript:alert" not in page and "onload" not in page, url
    assert "<h1>会议记录</h1>" in client.get(f"/study/meetings/{meeting.id}").get_data(as_text=True)


def test_minutes_after_the_start_only(client, world, login_as, now):
    meeting = _meeting(now, world)
    _as(now, client, login_as, world.users.secretary, START - timedelta(hours=1))
    early = client.post(f"/study/meetings/{meeting.id}/minutes", data={"minutes": "提前写好的记录"})
    assert "会议开始后才能填写会议记录" in early.get_data(as_text=True)
    assert db.session.get(Meeting, meeting.id).minutes == ""
    _as(now, client, login_as, world.users.secretary, START + timedelta(hours=2))
    client.post(f"/study/meetings/{meeting.id}/minutes", data={"minutes": "一、传达学习\n二、讨论发言"})
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).minutes == "一、传达学习\n二、讨论发言"
    # The members on the list read them on the session's page.
    _as(now, client, login_as, world.users.activist, START + timedelta(hours=3))
    assert "二、讨论发言" in client.get(f"/study/meetings/{meeting.id}").get_data(as_text=True)
