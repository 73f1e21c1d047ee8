"""Scheduling sessions: the form, validation, notices, edits, cancelling, attachments, scope and XSS."""

import re
from datetime import UTC, datetime, timedelta
from io import BytesIO

from sqlalchemy import func, select

from portal.core.files import Upload
from portal.core.permissions import Role
from portal.extensions import db
from portal.inbox.models import Message
from portal.study.models.meetings import Meeting, MeetingAttachment, MeetingAttendee
from portal.study.services import meetings
from tests import factories
from tests.conftest import keyed
from tests.study.meeting_helpers import JPG, PDF, PNG, local, make_meeting

NOW = local(2026, 5, 18, 9, 0)


def _form(world, **overrides):
    data = {
        "branch_id": str(world.branch_a.id), "kind": "seminar", "topic": "学习新修订的《中国共产党纪律处分条例》",
        "starts_local": "2026-05-20T14:30", "ends_local": "2026-05-20T16:00", "place": "综采一队会议室",
        "online_url": "", "materials": "## 学习提纲\n\n1. 第一章", "speakers-0-role": "expert",
        "speakers-0-person_id": "", "speakers-0-name": "矿党校李教授",
        "speakers-1-role": "backbone", "speakers-1-person_id": str(world.people.member.id), "speakers-1-name": "",
        "attendee_ids": [str(p.id) for p in (world.people.secretary, world.people.member, world.people.activist)],
    }
    data.update(overrides)
    return data


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_secretary_schedules_a_session_stored_in_utc_and_attendees_notified(client, world, login_as, now):
    now.set(NOW)
    login_as(world.users.secretary)
    response = client.post("/study/meetings/new", data=keyed(_form(world)))
    assert response.status_code == 302
    meeting = db.session.scalar(select(Meeting))
    assert meeting.starts_at == datetime(2026, 5, 20, 6, 30, tzinfo=UTC)  # 14:30 in Beijing
    assert meeting.kind_label == "每月一研讨"
    assert [(s.role, s.name, s.person_id) for s in meeting.speakers] == [
        ("expert", "矿党校李教授", None), ("backbone", "张三", world.people.member.id)]
    expected = set(db.session.scalars(select(MeetingAttendee.person_id)))
    assert expected == {world.people.secretary.id, world.people.member.id, world.people.activist.id}
    notices = db.session.scalars(select(Message).where(Message.key == f"meeting-scheduled:{meeting.id}")).all()
    assert {m.person_id for m in notices} == expected
    page = client.get(response.location).get_data(as_text=True)
    assert "2026年5月20日 14:30–16:00" in page and "矿党校李教授（专家导师）" in page and "<h2>学习提纲</h2>" in page


def test_the_form_offers_the_default_list_members_and_activists_not_masses(client, world, login_as):
    login_as(world.users.secretary)
    page = client.get("/study/meetings/new").get_data(as_text=True)
    boxes = {tag: "checked" in tag for tag in re.findall(r"<input[^>]*attendee_ids[^>]*>", page)}
    ticked = {int(re.search(r'value="(\d+)"', tag).group(1)) for tag, on in boxes.items() if on}
    offered = {int(re.search(r'value="(\d+)"', tag).group(1)) for tag in boxes}
    people = world.people
    assert ticked == {people.secretary.id, people.member.id, people.activist.id}
    assert people.staff.id in offered and people.other.id not in offered


def test_end_before_start_is_refused_and_nothing_written(client, world, login_as):
    login_as(world.users.secretary)
    response = client.post("/study/meetings/new", data=keyed(_form(world, ends_local="2026-05-20T13:00")))
    assert response.status_code == 200
    assert "结束时间必须晚于开始时间" in response.get_data(as_text=True)
    assert _count(Meeting) == 0 and _count(Message) == 0


def test_missing_place_and_room_is_refused(client, world, login_as):
    login_as(world.users.secretary)
    response = client.post("/study/meetings/new", data=keyed(_form(world, place="", online_url="")))
    assert "请填写会议地点或线上会议室链接（至少一项）" in response.get_data(as_text=True)
    assert _count(Meeting) == 0


def test_online_room_alone_is_enough_but_must_be_a_web_link(client, world, login_as):
    login_as(world.users.secretary)
    bad = client.post("/study/meetings/new", data=keyed(_form(world, place="", online_url="javascript:alert(1)")))
    assert "线上会议室链接应以 http:// 或 https:// 开头" in bad.get_data(as_text=True)
    good = client.post("/study/meetings/new", data=keyed(_form(world, place="", online_url="https://meet.example.cn/r/123")))
    assert good.status_code == 302
    assert db.session.scalar(select(Meeting.online_url)) == "https://meet.example.cn/r/123"


def test_bad_attachment_type_is_refused(client, world, login_as):
    login_as(world.users.secretary)
    data = _form(world, attachments=[(BytesIO(b"MZ\x90\x00"), "setup.exe")])
    response = client.post("/study/meetings/new", data=keyed(data), content_type="multipart/form-data")
    assert "“setup.exe”的类型不允许" in response.get_data(as_text=True)
    assert _count(Meeting) == 0 and _count(MeetingAttachment) == 0


def test_attachment_whose_content_does_not_match_is_refused(client, world, login_as):
    login_as(world.users.secretary)
    data = _form(world, attachments=[(BytesIO(b"<html><script>alert(1)</script>"), "提纲.pdf")])
    response = client.post("/study/meetings/new", data=keyed(data), content_type="multipart/form-data")
    assert "内容与扩展名不符" in response.get_data(as_text=True)
    assert _count(Meeting) == 0


def test_oversized_attachment_is_refused(client, world, login_as):
    login_as(world.users.secretary)
    big = PNG + b"\x00" * (meetings.MAX_ATTACHMENT_BYTES)
    data = _form(world, attachments=[(BytesIO(big), "照片.png")])
    response = client.post("/study/meetings/new", data=keyed(data), content_type="multipart/form-data")
    assert "超过 5 MB" in response.get_data(as_text=True)
    assert _count(Meeting) == 0


def test_attachments_are_stored_and_downloaded_by_attendees_only(client, world, login_as):
    login_as(world.users.secretary)
    data = _form(world, attachments=[(BytesIO(PDF), "学习提纲.pdf"), (BytesIO(JPG), "合影.jpeg")])
    assert client.post("/study/meetings/new", data=keyed(data), content_type="multipart/form-data").status_code == 302
    meeting = db.session.scalar(select(Meeting))
    files = {a.filename: a for a in meeting.attachments}
    assert set(files) == {"学习提纲.pdf", "合影.jpeg"} and files["合影.jpeg"].extension == "jpg"
    url = f"/study/meetings/{meeting.id}/files/{files['学习提纲.pdf'].id}"
    client.post("/logout")
    login_as(world.users.member)
    response = client.get(url)
    assert response.status_code == 200 and response.data == PDF and response.mimetype == "application/pdf"
    client.post("/logout")
    login_as(world.users.staff)  # in the branch but not on the list
    assert client.get(url).status_code == 404


def test_speaker_from_another_branch_is_refused(client, world, login_as):
    login_as(world.users.secretary)
    data = _form(world, **{"speakers-1-person_id": str(world.people.other.id)})
    response = client.post("/study/meetings/new", data=keyed(data))
    assert "主讲人只能从本支部人员中选择" in response.get_data(as_text=True)
    assert _count(Meeting) == 0


def test_attendee_from_another_branch_is_refused(client, world, login_as):
    login_as(world.users.secretary)
    response = client.post("/study/meetings/new", data=keyed(_form(world, attendee_ids=[str(world.people.other.id)])))
    assert "不是有效的选择" in response.get_data(as_text=True)
    assert _count(Meeting) == 0


def test_edit_moves_the_session_and_tells_everyone(client, world, login_as, now):
    now.set(NOW)
    meeting = make_meeting(world, starts=local(2026, 5, 20, 14, 30).replace(tzinfo=None))
    db.session.commit()
    login_as(world.users.secretary)
    page = client.get(f"/study/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert 'value="2026-05-20T14:30"' in page
    data = _form(world, starts_local="2026-05-21T09:00", ends_local="2026-05-21T11:00")
    assert client.post(f"/study/meetings/{meeting.id}/edit", data=keyed(data)).status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).starts_at == datetime(2026, 5, 21, 1, 0, tzinfo=UTC)
    moved = db.session.scalars(select(Message.person_id).where(Message.key == f"meeting-changed:{meeting.id}:2")).all()
    assert set(moved) == {world.people.secretary.id, world.people.member.id, world.people.activist.id}


def test_someone_who_asked_for_leave_cannot_be_removed_from_the_list(client, world, login_as, now):
    now.set(NOW)
    meeting = make_meeting(world, starts=local(2026, 5, 20, 14, 30).replace(tzinfo=None))
    row = meetings.attendee_row(meeting.id, world.people.member.id)
    row.status, row.leave_reason = "leave", "夜班"
    db.session.commit()
    login_as(world.users.secretary)
    data = _form(world, attendee_ids=[str(world.people.secretary.id)])
    response = client.post(f"/study/meetings/{meeting.id}/edit", data=keyed(data))
    assert "不能移出名单：张三" in response.get_data(as_text=True)
    assert meetings.attendee_row(meeting.id, world.people.activist.id) is not None


def test_cancel_notifies_and_is_refused_once_started(client, world, login_as, now):
    now.set(NOW)
    meeting = make_meeting(world, starts=local(2026, 5, 20, 14, 30).replace(tzinfo=None))
    started = make_meeting(world, starts=local(2026, 5, 18, 8, 30).replace(tzinfo=None))
    db.session.commit()
    login_as(world.users.secretary)
    client.post(f"/study/meetings/{meeting.id}/cancel", data={"reason": "井下抢修"})
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).is_cancelled
    notices = db.session.scalars(select(Message).where(Message.key == f"meeting-cancelled:{meeting.id}")).all()
    assert len(notices) == 3 and "井下抢修" in notices[0].body
    response = client.post(f"/study/meetings/{started.id}/cancel", data={}, follow_redirects=True)
    assert "会议已经开始，不能取消" in response.get_data(as_text=True)
    assert not db.session.get(Meeting, started.id).is_cancelled


def test_another_branch_cannot_see_or_manage_the_session(client, world, login_as):
    meeting = make_meeting(world, uploads=[Upload("提纲.pdf", PDF)])
    other_secretary = factories.make_user(world.people.other, roles=[(Role.SECRETARY, world.branch_b)])
    db.session.commit()
    base = f"/study/meetings/{meeting.id}"
    urls = (base, f"{base}/edit", f"{base}/attendance", f"{base}/reflections", f"{base}/checkin-board",
            f"{base}/checkin-qr.svg", f"{base}/files/{meeting.attachments[0].id}", f"{base}/checkin",
            f"{base}/reflection")
    login_as(world.users.secretary)  # the pages exist: the session's own secretary opens every one
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert "学习贯彻" in client.get("/study/meetings/manage").get_data(as_text=True)
    client.post("/logout")
    login_as(other_secretary)
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(f"{base}/cancel", data={"reason": "x"}).status_code == 404
    assert client.post(f"{base}/leave", data={"reason": "x"}).status_code == 404
    assert not db.session.get(Meeting, meeting.id).is_cancelled
    manage = client.get("/study/meetings/manage")
    assert manage.status_code == 200 and "安排组织生活" in manage.get_data(as_text=True)
    assert "学习贯彻" not in manage.get_data(as_text=True)


def test_committee_schedules_for_any_branch_after_picking_it(client, world, login_as):
    login_as(world.users.committee)
    picker = client.get("/study/meetings/new").get_data(as_text=True)
    assert world.branch_a.name in picker and world.branch_b.name in picker
    form = client.get(f"/study/meetings/new?branch_id={world.branch_b.id}").get_data(as_text=True)
    assert "陈五" in form and "张三" not in form


def test_script_in_materials_never_reaches_the_browser(client, world, login_as):
    evil = '<script>alert("x")</script>[链接](javascript:alert(1)) <img src=x onerror=alert(2)>'
    meeting = make_meeting(world, materials=evil)
    db.session.commit()
    login_as(world.users.member)
    response = client.get(f"/study/meetings/{meeting.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script>alert" not in page and "javascript:alert" not in page and "onerror" not in page
    # What is left of the materials is shown: the link text without its link, the image without its handler.
    materials = page.split('data-testid="materials">')[1].split("</div>")[0]
    assert '<a rel="noopener noreferrer nofollow">链接</a> <img src="x">' in materials


def test_member_lists_upcoming_and_past_sessions(client, world, login_as, now):
    now.set(NOW)
    make_meeting(world, topic="下周的研讨", starts=local(2026, 5, 25, 9).replace(tzinfo=None))
    make_meeting(world, topic="上周的党课", kind="party_lecture", starts=local(2026, 5, 11, 9).replace(tzinfo=None))
    db.session.commit()
    login_as(world.users.member)
    upcoming = client.get("/study/meetings/").get_data(as_text=True)
    past = client.get("/study/meetings/?when=past").get_data(as_text=True)
    assert "下周的研讨" in upcoming and "上周的党课" not in upcoming
    assert "上周的党课" in past and "党课" in past and "下周的研讨" not in past
    client.post("/logout")
    login_as(world.users.staff)  # in the branch but on neither list
    mine = client.get("/study/meetings/")
    assert mine.status_code == 200 and "我的组织生活" in mine.get_data(as_text=True)
    assert "下周的研讨" not in mine.get_data(as_text=True)


def test_time_window_sanity_and_missing_times(world):
    from portal.core.exceptions import ValidationError

    for fields, message in (({"starts_local": None}, "请填写开始时间"), ({"hours": 13}, "不能超过 12 小时"),
                            ({"kind": "party_day"}, "请选择会议类型"), ({"topic": " "}, "请填写会议主题")):
        try:
            make_meeting(world, **fields)
        except ValidationError as error:
            assert message in error.message
        else:
            raise AssertionError(fields)
    assert timedelta(hours=12) == meetings.MAX_DURATION
