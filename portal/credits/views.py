"""Credit pages: my credits, rankings, a member's ledger, exports, payout, rules, adjustments, anomalies."""

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from portal.core import cache
from portal.core.clock import format_date, utcnow
from portal.core.exceptions import ValidationError
from portal.core.forms import FAILED, run_service
from portal.core.periods import KIND_LABELS
from portal.core.permissions import login_required, require
from portal.core.templating import HAS_PERSON, allowed, menu_url
from portal.core.xlsx import XLSX
from portal.credits import anomalies, payout, reports, services
from portal.credits.forms import AdjustForm, PayoutSignForm, ReverseForm, RuleForm
from portal.roster import services as roster

blueprint = Blueprint("credits", __name__, url_prefix="/credits")


def _page():
    return max(request.args.get("page", 1, type=int), 1)


def _ledger_period():
    """The period a ledger is filtered to (?period=key), or None for every entry."""
    key = request.args.get("period")
    return services.period_from_key(key) if key else None


@blueprint.route("/mine")
@login_required
def mine():
    """My credits: current totals and ranks, a year's chart and every entry behind them."""
    subject = reports.ledger_subject(current_user.person_id) if current_user.person_id else None
    if subject is None:
        return render_template("credits/no_person.html")
    return _ledger_page(subject, own=True)


@blueprint.route("/people/<int:person_id>")
@require("credits.ledger")
def person_ledger(person_id):
    """A member's credits for their secretary or the committee (other branches: 404)."""
    return _ledger_page(reports.ledger_subject_for(current_user, person_id), own=False)


def _ledger_page(person, own):
    """A ledger page: the header for this viewer around the person's cached totals and entries.

    `person` is a standings.LedgerSubject: who, their branch and their ledger's version.
    """
    period, page = _ledger_period(), _page()
    reversible = not own and current_user.has_permission("credits.adjust", person.branch)

    def render_ledger():
        board = reports.ledger_board(person, period, page=page)
        return render_template("credits/_ledger_body.html", board=board, own=own, reversible=reversible,
                               form_token=cache.FORM_TOKEN)

    body = cache.fragment(reports.ledger_key(person, period, page, own, reversible), render_ledger)
    return render_template("credits/ledger.html", body=body, person=person, period=period, own=own,
                           reversible=reversible)


@blueprint.route("/people/<int:person_id>/export")
@require("credits.ledger")
def ledger_export(person_id):
    """A member's entries as .xlsx (a read-only GET: nothing is written, so nothing is audited)."""
    person = roster.get_person_for(current_user, person_id, permission="credits.ledger")
    stream, name = reports.ledger_workbook(person, _ledger_period())
    return send_file(stream, mimetype=XLSX, as_attachment=True, download_name=name)


@blueprint.route("/rankings")
@require("credits.rankings")
def rankings():
    """Rankings by person or branch for a 旬, month, quarter or year, within the user's branches."""
    period = services.period_from_key(request.args.get("period"), request.args.get("kind"))
    view, branch_id, page = request.args.get("view", "person"), request.args.get("branch", type=int), _page()

    def render_ranking():
        board = reports.ranking_board(current_user, period, view=view, branch_id=branch_id, page=page)
        return render_template("credits/_ranking_body.html", board=board, made_at=utcnow())

    body = cache.fragment(reports.ranking_key(current_user, period, view, branch_id, page), render_ranking)
    return render_template("credits/rankings.html", body=body)


@blueprint.route("/rankings/export")
@require("credits.rankings")
def ranking_export():
    """A ranking as .xlsx within the user's scope (a read-only GET: nothing is written or audited)."""
    period = services.period_from_key(request.args.get("period"), request.args.get("kind"))
    stream, name = reports.ranking_workbook(current_user, period, table=request.args.get("view", "person"),
                                            branch_id=request.args.get("branch", type=int))
    return send_file(stream, mimetype=XLSX, as_attachment=True, download_name=name)


@blueprint.route("/payout")
@require("credits.payout")
def payout_list():
    """A closed quarter's printable payout list, grouped by branch; signed off once."""
    sheet = payout.sheet_for(request.args.get("period"))
    return render_template("credits/payout.html", sheet=sheet, form=PayoutSignForm(period=sheet.period.key))


@blueprint.route("/payout/sign", methods=["POST"])
@require("credits.payout")
def payout_sign():
    """Sign the quarter's list off; it is locked afterwards."""
    form = PayoutSignForm()
    if not form.validate_on_submit():
        flash("请从兑现名单页面签认", "danger")
        return redirect(url_for("credits.payout_list"))
    period = run_service(lambda: payout.sign(current_user, form.period.data, form.note.data))
    if period is not FAILED:
        flash(f"{period.label}兑现名单已签认并锁定", "success")
    return redirect(url_for("credits.payout_list", period=form.period.data))


@blueprint.route("/rules")
@require("credits.rules")
def rules():
    """The current version of every rule."""
    return render_template("credits/rules.html", rules=services.rule_table())


@blueprint.route("/rules/<code>")
@require("credits.rules")
def rule_history(code):
    """Every version of one rule, newest first."""
    return render_template("credits/rule_history.html", versions=services.rule_versions(code))


@blueprint.route("/rules/<code>/edit", methods=["GET", "POST"])
@require("credits.rules")
def rule_edit(code):
    """Change a rule: saving makes a new version valid from today; entries keep their version."""
    try:
        rule = services.editable_rule(code)  # an unknown code raises NotFound: a 404 page
    except ValidationError as error:
        flash(error.message, "warning")
        return redirect(url_for("credits.rules"))
    form = RuleForm(obj=rule)
    if form.validate_on_submit():
        saved = run_service(lambda: services.change_rule(
            current_user, code, name=form.name.data, points=form.points.data, mode=form.mode.data,
            daily_cap=form.daily_cap.data, weekly_cap=form.weekly_cap.data,
            monthly_cap=form.monthly_cap.data, applies_to=form.statuses.data,
            description=form.description.data or "",
        ), form)
        if saved is not FAILED:
            flash(f"已保存为“{saved.name}”第 {saved.version} 版，自 {format_date(saved.valid_from)} 起生效", "success")
            return redirect(url_for("credits.rule_history", code=code))
    return render_template("credits/rule_form.html", form=form, rule=rule)


@blueprint.route("/adjust", methods=["GET", "POST"])
@require("credits.adjust")
def adjust():
    """A manual bonus or penalty for one person (found by name or pinyin: ?q=), with a reason; audited."""
    form = AdjustForm(person_id=request.args.get("person_id", type=int))
    if form.validate_on_submit():
        entry = run_service(lambda: services.adjust_person(
            current_user, form.person_id.data, form.points.data, form.reason.data), form)
        if entry is not FAILED:
            flash(f"已为 {entry.person.name} 调整 {entry.points:+d} 分", "success")
            return redirect(url_for("credits.person_ledger", person_id=entry.person_id))
    target = services.adjust_target(current_user, form.person_id.data, request.args.get("q", ""))
    return render_template("credits/adjust.html", form=form, target=target)


@blueprint.route("/entries/<int:entry_id>/reverse", methods=["POST"])
@require("credits.adjust")
def reverse(entry_id):
    """Cancel an entry with a reversing entry (the original stays); audited."""
    form = ReverseForm()
    back = request.form.get("person_id", type=int)
    if not form.validate_on_submit():
        flash(next(iter(form.reason.errors), "请写明冲销原因"), "danger")
    else:
        entry = run_service(lambda: services.reverse(current_user, entry_id, form.reason.data))
        if entry is not FAILED:
            flash(f"已冲销 {entry.person.name} 的一条“{entry.rule.name}”积分（{entry.points:+d} 分）", "success")
            back = entry.person_id
    return redirect(url_for("credits.person_ledger", person_id=back) if back else url_for("credits.rankings"))


@blueprint.route("/anomalies")
@require("credits.rules")
def anomaly_report():
    """Explained checks over a period's credits (bursts, frequent adjustments, outliers)."""
    found = anomalies.report(current_user, request.args.get("period"), request.args.get("kind"))
    return render_template("credits/anomalies.html", report=found)


# The credit pages' own sub-navigation: (endpoint, label, requirement as in core.templating.NAVIGATION).
SUBNAV = [
    ("credits.mine", "我的积分", HAS_PERSON),
    ("credits.rankings", "积分排名", "credits.rankings"),
    ("credits.payout_list", "季度兑现", "credits.payout"),
    ("credits.anomaly_report", "异常提醒", "credits.rules"),
    ("credits.adjust", "积分调整", "credits.adjust"),
    ("credits.rules", "积分规则", "credits.rules"),
]
# Pages that light up another page's entry.
_SUBNAV_ACTIVE = {"credits.rule_edit": "credits.rules", "credits.rule_history": "credits.rules"}


@blueprint.app_template_global("credits_nav")
def credits_nav():
    """(url, label, active) of the credit pages the user may open, for the `subnav` macro."""
    current = _SUBNAV_ACTIVE.get(request.endpoint, request.endpoint)
    return [(menu_url(endpoint), label, endpoint == current) for endpoint, label, requirement in SUBNAV
            if allowed(requirement)]


@blueprint.context_processor
def _period_kinds():
    """The period kinds' Chinese names, for the period picker."""
    return {"period_kinds": KIND_LABELS}
