"""Nomination pages: nominating (find the person, then the form), the list, one nomination, decisions, flags."""

import io

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.core import markdown
from portal.core.forms import FAILED, run_service
from portal.core.permissions import login_required, require
from portal.core.text import clean_filename
from portal.exemplars.forms import CloseFlagForm, ConfirmForm, DecisionForm, FlagForm, NominationForm, to_int
from portal.exemplars.models import Phase
from portal.exemplars.services import campaigns, nominations, qualification
from portal.exemplars.views import blueprint


@blueprint.route("/<int:campaign_id>/nominate", methods=["GET", "POST"])
@login_required
def nominate(campaign_id):
    """Find the person by name or pinyin, then describe their deeds in one category."""
    campaign = campaigns.get_visible(current_user, campaign_id)
    person_id = request.values.get("person_id", type=int)
    if person_id is None:
        q = request.args.get("q", "")
        return render_template("exemplars/nominate_pick.html", campaign=campaign, q=q,
                               people=nominations.nominee_choices(current_user, campaign, q))
    nominee = run_service(lambda: nominations.nominee(current_user, campaign, person_id))
    if nominee is FAILED:
        return redirect(url_for("exemplars.nominate", campaign_id=campaign.id))
    form = NominationForm(person_id=nominee.id)
    form.category_id.choices = [SelectChoice(c.id, c.name + ("（限党员）" if c.members_only else ""))
                                for c in campaign.categories]
    if form.validate_on_submit():
        photo, evidence = form.uploads(request.files)
        made = run_service(lambda: nominations.nominate(
            current_user, campaign.id, person_id=nominee.id, category_id=form.category_id.data,
            deeds=form.deeds.data, photo=photo, evidence=evidence), form)
        if made is not FAILED:
            flash(f"已提名{nominee.name}为“{made.category.name}”，等待党委资格审查", "success")
            return redirect(url_for("exemplars.nomination_detail", nomination_id=made.id))
    return render_template("exemplars/nominate_form.html", campaign=campaign, nominee=nominee, form=form)


@blueprint.route("/<int:campaign_id>/nominations")
@login_required
def nomination_list(campaign_id):
    """The nominations the user may see: all for the committee, a branch's for its secretary, one's own."""
    campaign = campaigns.get_visible(current_user, campaign_id)
    return render_template("exemplars/nominations.html", campaign=campaign,
                           rows=nominations.listing(current_user, campaign),
                           manages=campaigns.manages(current_user, campaign))


@blueprint.route("/nominations/<int:nomination_id>")
@login_required
def nomination_detail(nomination_id):
    """One nomination: deeds, files, the automatic checks and the decision."""
    nomination = nominations.get_visible(current_user, nomination_id)
    campaign = nomination.campaign
    manages = campaigns.manages(current_user, campaign)
    return render_template(
        "exemplars/nomination.html", nomination=nomination, campaign=campaign, md=markdown.render,
        checks=qualification.stored_checks(nomination), manages=manages,
        sees_evidence=nominations.can_see_evidence(current_user, nomination),
        can_decide=manages and campaign.phase in (Phase.NOMINATION, Phase.QUALIFICATION),
        can_withdraw=nominations.can_withdraw(current_user, nomination),
        decision_form=DecisionForm(), withdraw_form=ConfirmForm())


@blueprint.route("/nominations/<int:nomination_id>/decide", methods=["POST"])
@require("exemplars.manage")
def nomination_decide(nomination_id):
    """The committee approves or rejects a nomination."""
    form = DecisionForm()
    if form.validate_on_submit():
        decided = run_service(lambda: qualification.decide(
            current_user, nomination_id, form.decision.data == "approve", form.note.data), form)
        if decided is not FAILED:
            flash(f"{decided.person.name}：{decided.status_label}，已通知被提名人和提名人", "success")
    for errors in form.errors.values():
        for message in errors:
            flash(message, "danger")
    return redirect(url_for("exemplars.nomination_detail", nomination_id=nomination_id))


@blueprint.route("/nominations/<int:nomination_id>/withdraw", methods=["POST"])
@login_required
def nomination_withdraw(nomination_id):
    """The nominator or nominee takes a pending nomination back."""
    nomination = nominations.get_visible(current_user, nomination_id)
    campaign_id = nomination.campaign_id
    if ConfirmForm().validate_on_submit():
        withdrawn = run_service(lambda: nominations.withdraw(current_user, nomination_id))
        if withdrawn is not FAILED:
            flash("提名已撤回", "success")
            return redirect(url_for("exemplars.nomination_list", campaign_id=campaign_id))
    return redirect(url_for("exemplars.nomination_detail", nomination_id=nomination_id))


@blueprint.route("/nominations/<int:nomination_id>/files/<int:file_id>")
@login_required
def nomination_file(nomination_id, file_id):
    """A photo or piece of evidence, for those allowed to see it (never cached by the browser)."""
    file, data = nominations.file_for(current_user, nomination_id, file_id)
    response = send_file(io.BytesIO(data), mimetype=file.mime_type, as_attachment=not file.is_photo,
                         download_name=clean_filename(file.filename))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.route("/flags", methods=["GET", "POST"])
@require("exemplars.manage")
def flags():
    """Open flags (a person may not stand for now), and flagging someone found by name."""
    form = FlagForm()
    if form.validate_on_submit():
        flag = run_service(lambda: qualification.open_flag(current_user, to_int(form.person_id.data),
                                                           form.reason.data), form)
        if flag is not FAILED:
            flash(f"已标记{flag.person.name}", "success")
            return redirect(url_for("exemplars.flags"))
    q = request.values.get("q", "")  # the flag form carries the search, so a refusal shows the same people
    return render_template("exemplars/flags.html", form=form, q=q, close_form=CloseFlagForm(),
                           people=qualification.flag_candidates(current_user, q) if q else [],
                           chosen=request.values.get("person_id", type=int),
                           flags=qualification.flags_in_scope(current_user))


@blueprint.route("/flags/<int:flag_id>/close", methods=["POST"])
@require("exemplars.manage")
def flag_close(flag_id):
    """Lift a flag."""
    form = CloseFlagForm()
    if form.validate_on_submit():
        closed = run_service(lambda: qualification.close_flag(current_user, flag_id, form.note.data))
        if closed is not FAILED:
            flash(f"已解除对{closed.person.name}的标记", "success")
    return redirect(url_for("exemplars.flags"))
