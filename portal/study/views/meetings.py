"""Branch sessions (组织生活): members' pages and the secretary's.

Members: their list, a session's page, check-in, leave, reflections. Secretaries and the
committee: scheduling, the check-in board, the attendance sheet, minutes and grading.
"""

import io

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from portal.core import markdown, qr
from portal.core.forms import FAILED, PortalForm, run_service
from portal.core.permissions import login_required, require
from portal.core.text import clean_filename
from portal.core.xlsx import XLSX
from portal.study.forms.meetings import (
    MARK_LABELS,
    AttendanceForm,
    CancelForm,
    CheckinForm,
    GradeForm,
    LeaveForm,
    MeetingForm,
    MinutesForm,
    ReflectionForm,
)
from portal.study.services import attendance, meetings, reflections
from portal.study.views import blueprint

PER_PAGE = 20


def _page():
    return max(request.args.get("page", 1, type=int), 1)


def _detail(meeting_id):
    return redirect(url_for("study.meeting_detail", meeting_id=meeting_id))


# --- members ------------------------------------------------------------------------------

@blueprint.route("/meetings/")
@login_required
def meeting_list():
    """My sessions: upcoming (soonest first) or past (latest first)."""
    if current_user.person is None:
        return render_template("study/meetings/no_person.html")
    past = request.args.get("when") == "past"
    rows, total = meetings.my_meetings(current_user.person, past=past, page=_page(), per_page=PER_PAGE)
    return render_template("study/meetings/list.html", rows=rows, total=total, past=past, page=_page(),
                           pages=max((total + PER_PAGE - 1) // PER_PAGE, 1))


@blueprint.route("/meetings/<int:meeting_id>")
@login_required
def meeting_detail(meeting_id):
    """A session: when, where, speakers, materials, minutes; my check-in, leave and reflection."""
    meeting = meetings.get_visible(current_user, meeting_id)
    return render_template(
        "study/meetings/detail.html", meeting=meeting, md=markdown.render,
        mine=meetings.attendee_row(meeting.id, current_user.person_id),
        reflection=reflections.own_reflection(current_user.person_id, meeting.id),
        manages=current_user.has_permission("study.manage", meeting.branch),
        window=attendance.checkin_window(meeting), leave_form=LeaveForm(), cancel_form=CancelForm(),
        delete_form=PortalForm(),
    )


@blueprint.route("/meetings/<int:meeting_id>/files/<int:attachment_id>")
@login_required
def meeting_attachment(meeting_id, attachment_id):
    """Download one material file (for the people on the list and the branch's managers)."""
    attachment, data, mimetype = meetings.attachment_file(current_user, meeting_id, attachment_id)
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                         download_name=clean_filename(attachment.filename))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.route("/meetings/<int:meeting_id>/checkin", methods=["GET", "POST"])
@login_required
def meeting_checkin(meeting_id):
    """Check in with the code (the QR code in the room opens this page with it filled in)."""
    meeting, mine = meetings.get_attending(current_user.person, meeting_id)
    form = CheckinForm(code=request.args.get("code", "")[:6])
    if form.validate_on_submit():
        outcome = run_service(lambda: attendance.check_in(current_user.person, meeting_id, form.code.data), form)
        if outcome is not FAILED and outcome.ok:
            flash(outcome.message, "success")
            return _detail(meeting_id)
        if outcome is not FAILED:
            form.code.errors = [outcome.message]
    return render_template("study/meetings/checkin.html", meeting=meeting, mine=mine, form=form,
                           window=attendance.checkin_window(meeting))


@blueprint.route("/meetings/<int:meeting_id>/leave", methods=["POST"])
@login_required
def meeting_leave(meeting_id):
    """Ask for leave with a reason before the session starts, or take the request back."""
    meetings.get_attending(current_user.person, meeting_id)  # anyone else: 404
    form = LeaveForm()
    if form.validate_on_submit():
        if form.withdraw.data:
            done = run_service(lambda: attendance.withdraw_leave(current_user.person, meeting_id))
            message = "已撤销请假，请按时参加"
        else:
            done = run_service(lambda: attendance.request_leave(current_user.person, meeting_id,
                                                                   form.reason.data))
            message = "请假已提交，支部书记会在考勤表中看到您的原因"
        if done is not FAILED:
            flash(message, "success")
    else:
        flash("；".join(e for errors in form.errors.values() for e in errors) or "请重新提交", "danger")
    return _detail(meeting_id)


@blueprint.route("/meetings/<int:meeting_id>/reflection", methods=["GET", "POST"])
@login_required
def meeting_reflection(meeting_id):
    """Write (or rewrite, until it is graded) my reflection on a session."""
    meeting, _mine = meetings.get_attending(current_user.person, meeting_id)
    existing = reflections.own_reflection(current_user.person_id, meeting_id)
    form = ReflectionForm(obj=existing)
    if form.validate_on_submit():
        saved = run_service(lambda: reflections.submit(current_user.person, meeting_id, form.body.data), form)
        if saved is not FAILED:
            flash("心得体会已保存；评分前可以继续修改", "success")
            return _detail(meeting_id)
    return render_template("study/meetings/reflection.html", meeting=meeting, form=form, reflection=existing,
                           md=markdown.render, min_chars=reflections.MIN_CHARS)


# --- secretaries and the committee --------------------------------------------------------

@blueprint.route("/meetings/manage")
@require("study.manage")
def meeting_manage():
    """Sessions of the branches the user manages: upcoming or past, one branch or all."""
    past = request.args.get("when") == "past"
    pagination, branches = meetings.managed_meetings(current_user, past=past, page=_page(), per_page=PER_PAGE,
                                                     branch_id=request.args.get("branch", type=int))
    counts = meetings.attendance_counts([m.id for m in pagination.items])
    return render_template("study/meetings/manage.html", pagination=pagination, branches=branches, past=past,
                           counts=counts, branch_id=request.args.get("branch", type=int))


@blueprint.route("/meetings/new", methods=["GET", "POST"])
@require("study.manage")
def meeting_create():
    """Schedule a session; the committee first picks the branch (the attendee list depends on it)."""
    branches = meetings.manageable_branches(current_user)
    branch_id = request.values.get("branch_id", type=int) or (branches[0].id if len(branches) == 1 else None)
    branch = next((b for b in branches if b.id == branch_id), None)
    if branch is None:
        return render_template("study/meetings/pick_branch.html", branches=branches)
    form = _meeting_form(branch.id)
    if form.validate_on_submit():
        created = run_service(lambda: meetings.schedule(
            current_user, branch.id, form.draft(request.files.getlist(form.attachments.name))), form)
        if created is not FAILED:
            flash(f"已安排“{created.topic}”，应到人员已收到通知", "success")
            return _detail(created.id)
    return _form_page(form, branch, None)


@blueprint.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@require("study.manage")
def meeting_edit(meeting_id):
    """Change a session (time, place, speakers, materials, attachments, who is expected)."""
    meeting = meetings.get_managed(current_user, meeting_id)
    form = _meeting_form(meeting.branch_id, meeting)
    if form.validate_on_submit():
        saved = run_service(lambda: meetings.update(
            current_user, meeting_id, form.draft(request.files.getlist(form.attachments.name))), form)
        if saved is not FAILED:
            flash("已保存；时间或地点有变化时，应到人员会收到通知", "success")
            return _detail(meeting_id)
    return _form_page(form, meeting.branch, meeting)


def _meeting_form(branch_id, meeting=None):
    """The scheduling form offering the branch's people and 党小组 and, on GET, the current or default values.

    A new session's form takes its kind and group from the address (?kind=group_meeting&group_id=3),
    so that its default list of attendees is the one for that kind.
    """
    form = MeetingForm(branch_id=branch_id)
    if request.method == "GET":
        if meeting is None:
            form.preset(request.args.get("kind"), request.args.get("group_id", type=int))
        ids = (meetings.attendee_ids(meeting.id) if meeting
               else meetings.default_attendee_ids(branch_id, form.kind.data, form.group_id.data))
        form.load(meeting, ids)
    form.offer_people(meetings.selectable_people(branch_id, meeting.id if meeting else None),
                      meetings.branch_groups(branch_id))
    return form


def _form_page(form, branch, meeting):
    """The scheduling page, with what its script needs to tick each kind's default attendees."""
    defaults = meetings.invitation_defaults(branch.id)
    return render_template("study/meetings/form.html", form=form, branch=branch, meeting=meeting,
                           defaults=defaults, has_committee=any("committee_meeting" in d for d in defaults.values()))


@blueprint.route("/meetings/<int:meeting_id>/cancel", methods=["POST"])
@require("study.manage")
def meeting_cancel(meeting_id):
    """Call a session off; the people on the list are notified."""
    meetings.get_managed(current_user, meeting_id)  # another branch's session: 404
    form = CancelForm()
    if (form.validate_on_submit()
            and run_service(lambda: meetings.cancel(current_user, meeting_id, form.reason.data)) is not FAILED):
        flash("会议已取消，应到人员已收到通知", "success")
    return _detail(meeting_id)


@blueprint.route("/meetings/<int:meeting_id>/files/<int:attachment_id>/delete", methods=["POST"])
@require("study.manage")
def meeting_attachment_delete(meeting_id, attachment_id):
    """Remove one material file."""
    meetings.get_managed(current_user, meeting_id)
    if PortalForm().validate_on_submit():
        removed = run_service(lambda: meetings.remove_attachment(current_user, meeting_id, attachment_id))
        if removed is not FAILED:
            flash(f"已删除附件“{removed.filename}”", "success")
    return _detail(meeting_id)


@blueprint.route("/meetings/<int:meeting_id>/checkin-board")
@require("study.manage")
def meeting_checkin_board(meeting_id):
    """The code and QR code to show in the room, with who has checked in so far."""
    meeting, lines, totals = attendance.sheet(current_user, meeting_id)
    return render_template("study/meetings/checkin_board.html", meeting=meeting, lines=lines, totals=totals,
                           window=attendance.checkin_window(meeting), form=PortalForm(),
                           checkin_url=_checkin_url(meeting))


def _checkin_url(meeting):
    return url_for("study.meeting_checkin", meeting_id=meeting.id, code=meeting.checkin_code, _external=True)


@blueprint.route("/meetings/<int:meeting_id>/checkin-qr.svg")
@require("study.manage")
def meeting_checkin_qr(meeting_id):
    """The check-in QR code as SVG: it opens the member's check-in page with the code filled in."""
    meeting = meetings.get_managed(current_user, meeting_id)
    return qr.svg_response(_checkin_url(meeting), "签到二维码")


@blueprint.route("/meetings/<int:meeting_id>/checkin-code", methods=["POST"])
@require("study.manage")
def meeting_code_regenerate(meeting_id):
    """Give the session a new check-in code (the old code and QR code stop working)."""
    meetings.get_managed(current_user, meeting_id)
    if (PortalForm().validate_on_submit()
            and run_service(lambda: attendance.regenerate_code(current_user, meeting_id)) is not FAILED):
        flash("已更换签到码，旧签到码和二维码已失效", "success")
    return redirect(url_for("study.meeting_checkin_board", meeting_id=meeting_id))


@blueprint.route("/meetings/<int:meeting_id>/attendance", methods=["GET", "POST"])
@require("study.manage")
def meeting_attendance(meeting_id):
    """The attendance sheet: everyone on the list, marked 出席/请假/缺席 and saved with one submit (audited)."""
    meeting, lines, totals = attendance.sheet(current_user, meeting_id)
    form = AttendanceForm()
    if form.validate_on_submit():
        saved = run_service(lambda: attendance.record(current_user, meeting_id, form.marks()), form)
        if saved is not FAILED:
            for text, category in saved.messages():
                flash(text, category)
            return redirect(url_for("study.meeting_attendance", meeting_id=meeting_id))
    elif form.is_submitted():
        flash("；".join(_messages(form.errors)) or "请重新提交", "danger")
    form.load(lines)
    return render_template("study/meetings/attendance.html", meeting=meeting, lines=lines,
                           totals_text=attendance.totals_text(lines, totals), form=form, choices=MARK_LABELS)


@blueprint.route("/meetings/<int:meeting_id>/attendance/export")
@require("study.manage")
def meeting_attendance_export(meeting_id):
    """The attendance sheet as .xlsx, kept with the branch's records (a read-only GET)."""
    meeting, lines, totals = attendance.sheet(current_user, meeting_id)
    stream, name = attendance.sheet_workbook(meeting, lines, totals)
    return send_file(stream, mimetype=XLSX, as_attachment=True, download_name=clean_filename(name))


@blueprint.route("/meetings/<int:meeting_id>/attendance/print")
@require("study.manage")
def meeting_signin_sheet(meeting_id):
    """The sign-in sheet to print: everyone on the list, their attendance, and a column to sign in."""
    meeting, lines, totals = attendance.sheet(current_user, meeting_id)
    return render_template("study/meetings/signin_sheet.html", meeting=meeting, lines=lines,
                           totals_text=attendance.totals_text(lines, totals), note_of=attendance.note_of)


def _messages(errors):
    """The texts of a form's errors, nested ones (a FieldList's) included."""
    if isinstance(errors, str):
        return [errors]
    items = errors.values() if isinstance(errors, dict) else errors
    return [text for item in items for text in _messages(item)]


@blueprint.route("/meetings/<int:meeting_id>/minutes", methods=["GET", "POST"])
@require("study.manage")
def meeting_minutes(meeting_id):
    """Write the minutes (会议记录) once the session has started."""
    meeting = meetings.get_managed(current_user, meeting_id)
    form = MinutesForm(obj=meeting)
    if (form.validate_on_submit()
            and run_service(lambda: meetings.save_minutes(current_user, meeting_id, form.minutes.data),
                               form) is not FAILED):
        flash("会议记录已保存", "success")
        return _detail(meeting_id)
    return render_template("study/meetings/minutes.html", meeting=meeting, form=form)


@blueprint.route("/meetings/<int:meeting_id>/reflections")
@require("study.manage")
def meeting_reflections(meeting_id):
    """The session's reflections, ungraded first, each with a grading form."""
    meeting, items = reflections.for_meeting(current_user, meeting_id)
    return render_template("study/meetings/reflections.html", meeting=meeting, items=items, md=markdown.render,
                           form=GradeForm())


@blueprint.route("/reflections/<int:reflection_id>/grade", methods=["POST"])
@require("study.manage")
def reflection_grade(reflection_id):
    """Grade one reflection (final once given; books the scored credit)."""
    reflection = reflections.get_managed(current_user, reflection_id)
    form = GradeForm()
    if form.validate_on_submit():
        graded = run_service(lambda: reflections.grade(current_user, reflection_id, form.grade.data,
                                                          form.comment.data))
        if graded is not FAILED:
            flash(f"已为{graded.person.name}的心得体会评分：{graded.grade} 分", "success")
    else:
        flash("；".join(e for errors in form.errors.values() for e in errors) or "请重新提交", "danger")
    return redirect(url_for("study.meeting_reflections", meeting_id=reflection.meeting_id))

