"""Campaign pages: the list, setting one up, its page with the phase and what comes next, moving it on."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.core import markdown
from portal.core.clock import localnow
from portal.core.forms import FAILED, run_service
from portal.core.permissions import login_required, require
from portal.core.text import quoted
from portal.exemplars.forms import CampaignForm, ConfirmForm
from portal.exemplars.models import NOMINATION_STATUS_LABELS, PHASE_LABELS, SOURCE_LABELS, Phase
from portal.exemplars.services import campaigns, nominations, publicity, qualification, results, voting
from portal.exemplars.views import blueprint


@blueprint.route("/")
@login_required
def campaign_list():
    """The campaigns the user may open, each with its phase and the user's next step."""
    found = campaigns.visible_campaigns(current_user)
    person = campaigns.actor_person(current_user)
    voting_now = [c for c in found if c.phase == Phase.VOTING]
    voted = {c.id for c in voting_now if person is not None and voting.has_voted(c, person.id)}
    refusals = {c.id: voting.ineligibility(c, person) for c in voting_now}
    return render_template("exemplars/list.html", campaigns=found, voted=voted, refusals=refusals,
                           can_create=bool(campaigns.organisations_to_run(current_user)), plan=campaigns.plan_text)


def _campaign_form(obj=None):
    form = CampaignForm()
    form.organisation_id.choices = [SelectChoice(*c) for c in campaigns.organisations_to_run(current_user)]
    form.credit_period.choices = [SelectChoice(*c) for c in campaigns.credit_period_choices()]
    return form


@blueprint.route("/new", methods=["GET", "POST"])
@require("exemplars.manage")
def campaign_create():
    """Set up a campaign: categories, who nominates and votes, the formula and the dates."""
    form = _campaign_form()
    if request.method == "GET":
        form.start_with_defaults(localnow().year)
    if form.validate_on_submit():
        created = run_service(lambda: campaigns.create(
            current_user, organisation_id=form.organisation_id.data, **form.values()), form)
        if created is not FAILED:
            flash(f"已创建{quoted(created.title)}，提名将于计划时间开始", "success")
            return redirect(url_for("exemplars.campaign_detail", campaign_id=created.id))
    return render_template("exemplars/form.html", form=form, campaign=None, editable=None)


@blueprint.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@require("exemplars.manage")
def campaign_edit(campaign_id):
    """Change what the campaign's phase still allows; the rest is shown fixed."""
    campaign = campaigns.get_managed(current_user, campaign_id)
    form = _campaign_form()
    if request.method == "GET":
        form.load(campaign)
    if form.validate_on_submit():
        saved = run_service(lambda: campaigns.update_settings(current_user, campaign.id, **form.values()), form)
        if saved is not FAILED:
            flash("已保存", "success")
            return redirect(url_for("exemplars.campaign_detail", campaign_id=campaign.id))
    return render_template("exemplars/form.html", form=form, campaign=campaign, editable=campaigns.editable(campaign))


@blueprint.route("/<int:campaign_id>")
@login_required
def campaign_detail(campaign_id):
    """A campaign: its phase and plan, the categories and formula, and what this user can do now."""
    campaign = campaigns.get_visible(current_user, campaign_id)
    manages = campaigns.manages(current_user, campaign)
    person = campaigns.actor_person(current_user)
    return render_template(
        "exemplars/detail.html", campaign=campaign, manages=manages, md=markdown.render,
        timeline=campaigns.timeline(campaign), plan=campaigns.plan_text(campaign),
        formula=results.formula_lines(campaign), advance_form=ConfirmForm(expected=campaign.phase),
        blocker=publicity.blocker(campaign) if manages else None, phase_labels=PHASE_LABELS,
        status_labels=NOMINATION_STATUS_LABELS, source_labels=SOURCE_LABELS,
        next_phase=campaigns.next_phase(campaign),
        counts=nominations.counts_by_status(campaign.id) if manages else {},
        pending=qualification.pending_count(campaign.id) if manages else 0,
        ineligible=voting.ineligibility(campaign, person) if campaign.phase == Phase.VOTING else None,
        voted=person is not None and voting.has_voted(campaign, person.id),
        turnout=voting.visible_turnout(current_user, campaign),
        tallies_visible=results.tallies_visible(campaign),
    )


@blueprint.route("/<int:campaign_id>/advance", methods=["POST"])
@require("exemplars.manage")
def campaign_advance(campaign_id):
    """The committee moves the campaign to its next phase ahead of the plan."""
    form = ConfirmForm()
    if form.validate_on_submit():
        moved = run_service(lambda: publicity.advance(current_user, campaign_id, form.expected.data))
        if moved is not FAILED:
            flash(f"已进入{moved.phase_label}阶段", "success")
    else:
        flash("请从活动页面操作", "danger")
    return redirect(url_for("exemplars.campaign_detail", campaign_id=campaign_id))
