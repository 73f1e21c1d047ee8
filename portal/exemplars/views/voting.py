"""Voting pages: the ballot (every category on one page), the confirmation, the receipt; paper ballots."""

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.core import markdown
from portal.core.exceptions import ValidationError
from portal.core.forms import FAILED, run_service
from portal.core.permissions import login_required, require
from portal.exemplars.forms import BallotForm, CastForm, PaperCastForm, PaperVoterForm, to_int
from portal.exemplars.models import Phase
from portal.exemplars.services import campaigns, voting
from portal.exemplars.views import blueprint


def selections(form):
    """{category id: [nomination ids]} from the c<category id> fields of a posted ballot (the service checks them)."""
    chosen = {}
    for name in form:
        if not (name.startswith("c") and name[1:].isdigit()):
            continue
        try:
            chosen[int(name[1:])] = [int(value) for value in form.getlist(name)]
        except ValueError:
            raise ValidationError("选票内容无效，请刷新页面后重新填写") from None
    return chosen


@blueprint.route("/<int:campaign_id>/vote")
@login_required
def vote(campaign_id):
    """The ballot: every category on one page, candidates in this voter's own order; blank = abstain."""
    campaign = campaigns.get_visible(current_user, campaign_id)
    person = campaigns.actor_person(current_user)
    refusal = voting.ineligibility(campaign, person)
    if campaign.phase != Phase.VOTING or refusal or voting.has_voted(campaign, person.id):
        return render_template("exemplars/vote_closed.html", campaign=campaign, refusal=refusal,
                               voted=person is not None and voting.has_voted(campaign, person.id))
    return render_template("exemplars/vote.html", campaign=campaign, form=BallotForm(), md=markdown.render,
                           ballot=voting.ballot_for(campaign, person), action=url_for("exemplars.vote_review",
                                                                                      campaign_id=campaign.id))


@blueprint.route("/<int:campaign_id>/vote/review", methods=["POST"])
@login_required
def vote_review(campaign_id):
    """Confirm before casting (abstentions named, no changing afterwards); or back to the ballot to change it."""
    campaign = campaigns.get_visible(current_user, campaign_id)
    person = campaigns.actor_person(current_user)
    form = BallotForm()
    chosen = run_service(lambda: selections(request.form))
    lines = FAILED
    if chosen is not FAILED and form.validate_on_submit() and not request.form.get("edit"):
        lines = run_service(lambda: voting.review(campaign, chosen))
    if lines is FAILED:
        if voting.ineligibility(campaign, person) or campaign.phase != Phase.VOTING:
            return redirect(url_for("exemplars.vote", campaign_id=campaign.id))
        return render_template("exemplars/vote.html", campaign=campaign, form=form, md=markdown.render,
                               ballot=voting.ballot_for(campaign, person), chosen=chosen or {},
                               action=url_for("exemplars.vote_review", campaign_id=campaign.id))
    return render_template("exemplars/vote_confirm.html", campaign=campaign, lines=lines, form=CastForm(),
                           chosen=chosen, edit_action=url_for("exemplars.vote_review", campaign_id=campaign.id),
                           action=url_for("exemplars.vote_cast", campaign_id=campaign.id))


@blueprint.route("/<int:campaign_id>/vote/cast", methods=["POST"])
@login_required
def vote_cast(campaign_id):
    """Cast the confirmed ballot; the receipt code is shown this once."""
    # Someone outside the campaign: not found, no hint. (Held here, so the service finds it in the session.)
    campaign = campaigns.get_visible(current_user, campaign_id)
    form = CastForm()
    if not form.validate_on_submit():
        flash("投票页面已过期，请重新填写", "danger")
        return redirect(url_for("exemplars.vote", campaign_id=campaign_id))
    receipt = run_service(lambda: voting.cast_online(current_user, campaign.id, selections(request.form)), form)
    if receipt is FAILED:
        return redirect(url_for("exemplars.campaign_detail", campaign_id=campaign_id))
    return _to_receipt(receipt, paper=False)


@blueprint.route("/<int:campaign_id>/paper")
@require("exemplars.paper")
def paper(campaign_id):
    """An officer at a polling point: find the voter, then enter their paper ballot in the printed order."""
    campaign = campaigns.get_for_paper(current_user, campaign_id)
    point = request.args.get("polling_point", "")
    voter_id = request.args.get("voter_id", type=int)
    if voter_id is None:
        q = request.args.get("q", "")
        return render_template("exemplars/paper_pick.html", campaign=campaign, q=q, polling_point=point,
                               people=voting.paper_voter_choices(campaign, q) if q else [])
    voter = run_service(lambda: voting.paper_voter(campaign, voter_id))
    if voter is FAILED:
        return redirect(url_for("exemplars.paper", campaign_id=campaign.id, polling_point=point))
    form = PaperVoterForm(voter_id=voter.id, polling_point=point)
    return render_template("exemplars/vote.html", campaign=campaign, form=form, md=markdown.render, voter=voter,
                           ballot=voting.ballot_for(campaign, voter, shuffle=False),
                           action=url_for("exemplars.paper_review", campaign_id=campaign.id))


@blueprint.route("/<int:campaign_id>/paper/review", methods=["POST"])
@require("exemplars.paper")
def paper_review(campaign_id):
    """The officer checks the entry against the paper before casting it; or goes back to change it."""
    campaign = campaigns.get_for_paper(current_user, campaign_id)
    form = PaperVoterForm()
    voter = run_service(lambda: voting.paper_voter(campaign, to_int(form.voter_id.data)))
    if voter is FAILED:
        point = form.polling_point.data or ""
        return redirect(url_for("exemplars.paper", campaign_id=campaign.id, polling_point=point))
    chosen = run_service(lambda: selections(request.form))
    lines = FAILED
    if chosen is not FAILED and form.validate_on_submit() and not request.form.get("edit"):
        lines = run_service(lambda: voting.review(campaign, chosen))
    if lines is FAILED:
        return render_template("exemplars/vote.html", campaign=campaign, form=form, md=markdown.render, voter=voter,
                               ballot=voting.ballot_for(campaign, voter, shuffle=False), chosen=chosen or {},
                               action=url_for("exemplars.paper_review", campaign_id=campaign.id))
    return render_template("exemplars/vote_confirm.html", campaign=campaign, lines=lines, voter=voter, chosen=chosen,
                           form=PaperCastForm(voter_id=voter.id, polling_point=form.polling_point.data),
                           edit_action=url_for("exemplars.paper_review", campaign_id=campaign.id),
                           action=url_for("exemplars.paper_cast", campaign_id=campaign.id))


@blueprint.route("/<int:campaign_id>/paper/cast", methods=["POST"])
@require("exemplars.paper")
def paper_cast(campaign_id):
    """Cast the paper ballot as confirmed; the voter is marked as voted on paper."""
    campaign = campaigns.get_for_paper(current_user, campaign_id)
    form = PaperCastForm()
    if not form.validate_on_submit():
        flash("录入页面已过期，请重新录入", "danger")
        return redirect(url_for("exemplars.paper", campaign_id=campaign.id))
    receipt = run_service(lambda: voting.cast_paper(current_user, campaign.id, to_int(form.voter_id.data),
                                                    form.polling_point.data, selections(request.form)),
                          form)
    point = form.polling_point.data or ""
    if receipt is FAILED:
        return redirect(url_for("exemplars.paper", campaign_id=campaign.id, polling_point=point))
    return _to_receipt(receipt, paper=True, polling_point=point)


RECEIPT = "exemplar_receipt"  # the session slot the receipt waits in until its page shows it, once


def _to_receipt(receipt, paper, polling_point=""):
    """Post/redirect/get: the receipt waits in the session (the voter's own) and its page shows it once.

    The cast itself answers with a redirect, so its transaction (and SQLite's write lock) ends
    before any page is drawn, and reloading the receipt page never sends the ballot again.
    """
    session[RECEIPT] = {"campaign": receipt.campaign.id, "code": receipt.code, "lines": receipt.lines,
                        "paper": paper, "polling_point": polling_point}
    return redirect(url_for("exemplars.receipt", campaign_id=receipt.campaign.id))


@blueprint.route("/<int:campaign_id>/receipt")
@login_required
def receipt(campaign_id):
    """The receipt of the ballot just cast (or entered on paper): its code, shown this once."""
    campaign = campaigns.get_visible(current_user, campaign_id)
    shown = session.get(RECEIPT)
    if shown is not None and shown.get("campaign") == campaign.id:
        session.pop(RECEIPT)
    else:
        shown = None
    point = shown.get("polling_point", "") if shown else ""
    return render_template("exemplars/receipt.html", campaign=campaign, receipt=shown,
                           back=url_for("exemplars.paper", campaign_id=campaign.id, polling_point=point))
