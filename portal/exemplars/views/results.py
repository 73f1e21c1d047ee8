"""Result pages: the tally with the formula, publicity and objections, the public ballot list and downloads."""

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from markupsafe import Markup

from portal.core import cache
from portal.core.exceptions import NotFound
from portal.core.forms import FAILED, run_service
from portal.core.permissions import login_required, require
from portal.core.xlsx import XLSX
from portal.exemplars.forms import ConfirmForm, FindReceiptForm, ObjectionDecisionForm, ObjectionForm
from portal.exemplars.models import Phase
from portal.exemplars.services import campaigns, publicity, results
from portal.exemplars.views import blueprint


@blueprint.route("/<int:campaign_id>/results")
@login_required
def results_page(campaign_id):
    """The result of each category (once tallies may show), the winners, publicity and its objections."""
    campaign = campaigns.get_visible(current_user, campaign_id)
    visible = results.tallies_visible(campaign)
    manages = campaigns.manages(current_user, campaign)
    tables, winners = _result_tables(campaign) if visible else (None, [])
    objections = publicity.objections(campaign.id) if manages else []
    finalising = manages and campaign.phase == Phase.PUBLICITY
    # Each form only where the page shows it: a voter reading the result sees at most the objection form.
    can_object = bool(winners) and publicity.may_object(current_user, campaign)
    return render_template(
        "exemplars/results.html", campaign=campaign, visible=visible, manages=manages, tables=tables,
        winners=winners, formula=results.formula_lines(campaign), objections=objections,
        objection_form=ObjectionForm() if can_object else None,
        decide_form=ObjectionDecisionForm() if objections else None,
        finalise_form=ConfirmForm(expected=Phase.PUBLICITY) if finalising else None,
        blocker=publicity.blocker(campaign) if finalising else None, can_object=can_object)


def _result_tables(campaign):
    """(the categories' tables as HTML, [(winner row, category name)]): kept per process once voting has closed."""
    key = results.results_key(campaign) if campaign.reached(Phase.PUBLICITY) else None
    shown = results.shown_results(campaign, key)

    def render():
        return render_template("exemplars/_results_tables.html", categories=shown, final=campaign.phase == Phase.FINAL)

    tables = cache.fragment((*key, request.script_root), render) if key else Markup(render())  # noqa: S704
    return tables, [(row, result.category.name) for result in shown for row in result.winners]


@blueprint.route("/<int:campaign_id>/results.xlsx")
@login_required
def results_export(campaign_id):
    """The results as .xlsx, once tallies may show."""
    campaign = campaigns.get_visible(current_user, campaign_id)
    if not results.tallies_visible(campaign):
        flash("投票结束后才能下载评选结果", "warning")
        return redirect(url_for("exemplars.results_page", campaign_id=campaign.id))
    return send_file(results.results_workbook(campaign), mimetype=XLSX, as_attachment=True,
                     download_name=f"{campaign.title}-评选结果.xlsx")


@blueprint.route("/<int:campaign_id>/objections", methods=["POST"])
@login_required
def objection_create(campaign_id):
    """Object to a winner during publicity."""
    campaign = campaigns.get_visible(current_user, campaign_id)
    form = ObjectionForm()
    if form.validate_on_submit():
        made = run_service(lambda: publicity.object_to(current_user, campaign.id, form.nomination_id.data,
                                                       form.reason.data), form)
        if made is not FAILED:
            flash("异议已提交，党委核实后会在消息中告诉您结果", "success")
    _flash_errors(form)
    return redirect(url_for("exemplars.results_page", campaign_id=campaign.id))


@blueprint.route("/objections/<int:objection_id>/decide", methods=["POST"])
@require("exemplars.manage")
def objection_decide(objection_id):
    """The committee upholds or dismisses an objection."""
    objection = publicity.get_managed_objection(current_user, objection_id)
    form = ObjectionDecisionForm()
    if form.validate_on_submit():
        decided = run_service(lambda: publicity.decide_objection(
            current_user, objection.id, form.decision.data == "uphold", form.note.data), form)
        if decided is not FAILED:
            flash(f"异议已核实：{decided.status_label}，已通知提出人", "success")
    _flash_errors(form)
    return redirect(url_for("exemplars.results_page", campaign_id=objection.campaign_id))


def _flash_errors(form):
    """A form posted from a page that lists many (one per winner): its field errors go into flashes."""
    for errors in form.errors.values():
        for message in errors:
            flash(message, "danger")


@blueprint.route("/<int:campaign_id>/ballots")
@login_required
def ballot_list(campaign_id):
    """Every counted ballot by receipt hash, category by category, once voting has closed; and the invariant."""
    campaign = campaigns.get_visible(current_user, campaign_id)
    return _ballot_page(campaign, FindReceiptForm(), found=None)


@blueprint.route("/<int:campaign_id>/ballots/find", methods=["POST"])
@login_required
def ballot_find(campaign_id):
    """Find one's own ballots by receipt code (the code is neither stored nor logged)."""
    campaign = campaigns.get_visible(current_user, campaign_id)
    form = FindReceiptForm()
    found = results.find_ballots(campaign, form.code.data) if form.validate_on_submit() else None
    return _ballot_page(campaign, form, found=found)


def _ballot_page(campaign, form, found):
    if not campaign.reached(Phase.PUBLICITY):
        return render_template("exemplars/ballots.html", campaign=campaign, open=False)
    category = next((c for c in campaign.categories if c.id == request.args.get("category", type=int)),
                    campaign.categories[0])
    page = max(request.args.get("page", 1, type=int), 1)
    lines, total = results.ballot_page(campaign, category, page)
    counts = results.category_counts(campaign)
    return render_template("exemplars/ballots.html", campaign=campaign, open=True, form=form, found=found,
                           category=category, lines=lines, total=total, page=page, counts=counts,
                           per_page=results.BALLOTS_PER_PAGE)


@blueprint.route("/<int:campaign_id>/ballots.xlsx")
@login_required
def ballots_xlsx(campaign_id):
    """The ballot list as .xlsx, after voting has closed."""
    campaign = _closed(campaign_id)
    return send_file(results.ballots_workbook(campaign), mimetype=XLSX, as_attachment=True,
                     download_name=f"{campaign.title}-选票清单.xlsx")


@blueprint.route("/<int:campaign_id>/ballots.csv")
@login_required
def ballots_csv(campaign_id):
    """The ballot list as CSV, after voting has closed."""
    campaign = _closed(campaign_id)
    return send_file(results.ballots_csv(campaign), mimetype="text/csv", as_attachment=True,
                     download_name=f"{campaign.title}-选票清单.csv")


def _closed(campaign_id):
    campaign = campaigns.get_visible(current_user, campaign_id)
    if not campaign.reached(Phase.PUBLICITY):
        raise NotFound("投票结束后才公布选票清单")
    return campaign
