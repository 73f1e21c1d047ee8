"""Roster pages: the list, a person, organisations, import and export."""

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.core import cache
from portal.core.forms import FAILED, run_service
from portal.core.permissions import require
from portal.roster import exporter, importer, orgs, services
from portal.roster.dates import DatePrecision
from portal.roster.forms import (
    ImportForm,
    OrganisationEditForm,
    OrganisationForm,
    PersonForm,
    UnitEditForm,
    UnitForm,
)
from portal.roster.models import PersonStatus, PoliticalStatus

blueprint = Blueprint("roster", __name__, url_prefix="/roster")


@blueprint.route("/")
@require("roster.view")
def person_list():
    """Search and filter the people the user may see."""
    args = request.args
    filters = {
        "q": args.get("q", "")[:40],
        "branch_id": args.get("branch", type=int),
        "status": args.get("status") if args.get("status") in set(PersonStatus) else None,
        "political_status": args.get("political") if args.get("political") in set(PoliticalStatus) else None,
    }
    page, scopes = args.get("page", 1, type=int), current_user.scopes("roster.view")

    def render_list():
        branches = services.branch_rows(scopes)
        pagination = services.search_people(current_user, page=page, per_page=_page_size(), branches=branches,
                                            **filters)
        return render_template("roster/_person_list_body.html", pagination=pagination, filters=filters,
                               branches=branches, statuses=list(PersonStatus), politicals=list(PoliticalStatus))

    # The viewer counts only through the organisations they may see; the data through the roster version.
    key = ("roster.person_list", tuple(sorted(org.id for org in scopes)), tuple(filters.values()), page,
           _page_size(), request.script_root, *cache.versions("roster"))
    return render_template("roster/person_list.html", body=cache.fragment(key, render_list), filters=filters)


def _page_size():
    from flask import current_app

    return current_app.config["ROSTER_PAGE_SIZE"]


@blueprint.route("/<int:person_id>")
@require("roster.view")
def person_detail(person_id):
    """One person, ID and phone masked."""
    person = services.get_person_for(current_user, person_id)
    return render_template("roster/person_detail.html", person=person, revealed={})


@blueprint.route("/<int:person_id>/reveal", methods=["POST"])
@require("roster.reveal")
def person_reveal(person_id):
    """Show the full ID or phone number once; the view is audited."""
    person = services.get_person_for(current_user, person_id)
    what = request.form.get("what", "id")
    value = run_service(lambda: services.reveal(current_user, person, what))
    if value is FAILED:
        return redirect(url_for("roster.person_detail", person_id=person.id))
    return render_template("roster/person_detail.html", person=person, revealed={what: value})


@blueprint.route("/new", methods=["GET", "POST"])
@require("roster.edit")
def person_create():
    """Add a person to the roster."""
    form = _person_form()
    if form.validate_on_submit():
        person = run_service(lambda: services.add_person(current_user, **_person_values(form)), form)
        if person is not FAILED:
            flash(f"已添加 {person.name}", "success")
            return redirect(url_for("roster.person_detail", person_id=person.id))
    return render_template("roster/person_form.html", form=form, person=None)


@blueprint.route("/<int:person_id>/edit", methods=["GET", "POST"])
@require("roster.edit")
def person_edit(person_id):
    """Edit a person; the ID and phone must be typed again to change them."""
    person = services.get_person_for(current_user, person_id, permission="roster.edit")
    form = _person_form(obj=person)
    if request.method == "GET":
        form.id_number.data = ""
        form.phone.data = ""
    if form.validate_on_submit():
        saved = run_service(lambda: services.update_person(current_user, person, **_person_values(form, person)),
                            form)
        if saved is not FAILED:
            flash("已保存", "success")
            return redirect(url_for("roster.person_detail", person_id=person.id))
    return render_template("roster/person_form.html", form=form, person=person)


def _person_form(obj=None):
    form = PersonForm(obj=obj)
    allowed = {b.id for b in services.branches_within(current_user.scopes("roster.edit"))}
    form.unit_id.choices = [SelectChoice(u.id, u.name) for u in services.units() if u.branch_id in allowed]
    return form


def _person_values(form, person=None):
    return {
        "name": form.name.data, "gender": form.gender.data, "id_number": form.id_number.data,
        "phone": form.phone.data, "employee_no": form.employee_no.data,
        "unit": services.get_unit(form.unit_id.data), "job_type": form.job_type.data,
        "skill_level": form.skill_level.data, "political_status": form.political_status.data,
        "joined_party_on": form.joined_party_on.data, "status": form.status.data,
        "joined_party_precision": _joined_precision(form.joined_party_on.data, person),
    }


def _joined_precision(joined, person):
    """A join date known only to the month stays so while the date field is left as it was."""
    if person is not None and joined == person.joined_party_on:
        return person.joined_party_precision
    return DatePrecision.DAY


@blueprint.route("/orgs", methods=["GET"])
@require("org.manage")
def org_list():
    """The organisation tree and the units, with forms to add to them."""
    return _org_page(_org_form(), _unit_form())


def _org_page(org_form, unit_form, status=200):
    tree, units, root = services.organisation_tree(), services.units(), services.root_organisation()
    return render_template(
        "roster/org_list.html", orgs=tree, units=units, org_form=org_form, unit_form=unit_form,
        editable_orgs={o.id for o in tree if orgs.may_edit_organisation(current_user, o)},
        editable_units={u.id for u in units if orgs.may_edit_unit(current_user, u, root)},
    ), status


def _org_form():
    form = OrganisationForm()
    form.parent_id.choices = [SelectChoice(o.id, "　" * o.depth + o.name) for o in services.organisation_tree()
                              if current_user.has_permission("org.manage", o)]
    return form


def _unit_form():
    form = UnitForm()
    form.branch_id.choices = [
        SelectChoice(b.id, b.name) for b in services.branches_within(current_user.scopes("org.manage"))
    ]
    return form


@blueprint.route("/orgs/new", methods=["POST"])
@require("org.manage")
def org_create():
    """Add an organisation under one the user manages; a refusal shows the form again with why."""
    form = _org_form()
    if form.validate_on_submit():
        added = run_service(lambda: services.add_organisation(
            current_user, form.name.data, form.kind.data, form.parent_id.data, form.sort_order.data or 0), form)
        if added is not FAILED:
            flash(f"组织“{added.name}”已添加", "success")
            return redirect(url_for("roster.org_list"))
    return _org_page(form, _unit_form(), status=400)


@blueprint.route("/units/new", methods=["POST"])
@require("org.manage")
def unit_create():
    """Add an administrative unit looked after by a branch; a refusal shows the form again with why."""
    form = _unit_form()
    if form.validate_on_submit():
        added = run_service(lambda: services.add_unit(current_user, form.name.data, form.branch_id.data), form)
        if added is not FAILED:
            flash(f"单位“{added.name}”已添加", "success")
            return redirect(url_for("roster.org_list"))
    return _org_page(_org_form(), form, status=400)


@blueprint.route("/orgs/<int:org_id>/edit", methods=["GET", "POST"])
@require("org.manage")
def org_edit(org_id):
    """Rename an organisation or move it (with its subtree and people) under one the user manages."""
    org = orgs.editable_organisation(current_user, org_id)
    form = OrganisationEditForm(obj=org)
    if org.parent_id is None:
        del form.parent_id  # the top organisation stays at the top
    else:
        form.parent_id.choices = [SelectChoice(o.id, "　" * o.depth + o.name)
                                  for o in orgs.parent_choices(current_user, org)]
    if form.validate_on_submit():
        parent_id = form.parent_id.data if "parent_id" in form else None
        change = run_service(lambda: orgs.edit_organisation(current_user, org_id, form.name.data, parent_id), form)
        if change is not FAILED:
            flash(change.summary, "success" if change.changed else "info")
            return redirect(url_for("roster.org_list"))
    status = 400 if request.method == "POST" else 200
    return render_template("roster/org_edit.html", form=form, org=org), status


@blueprint.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@require("org.manage")
def unit_edit(unit_id):
    """Rename a unit or give it to another branch the user manages; its people's branch follows."""
    unit = orgs.editable_unit(current_user, unit_id)
    form = UnitEditForm(obj=unit)
    choices = [SelectChoice(b.id, b.name) for b in orgs.branch_choices(current_user, unit)]
    if unit.branch_id is None:
        form.branch_id.data = form.branch_id.data or 0
        choices.insert(0, SelectChoice(0, "（未指定党支部）"))
    form.branch_id.choices = choices
    if form.validate_on_submit():
        branch_id = form.branch_id.data or None
        change = run_service(lambda: orgs.edit_unit(current_user, unit_id, form.name.data, branch_id), form)
        if change is not FAILED:
            flash(change.summary, "success" if change.changed else "info")
            return redirect(url_for("roster.org_list"))
    status = 400 if request.method == "POST" else 200
    return render_template("roster/unit_edit.html", form=form, unit=unit), status


@blueprint.route("/import", methods=["GET", "POST"])
@require("roster.import")
def import_start():
    """Upload a sheet; a clean file is written at once, otherwise the errors are listed."""
    form = ImportForm()
    if form.validate_on_submit():
        received = run_service(lambda: importer.receive(current_user, form.file.data), form)
        if received is not FAILED:
            batch, report = received
            if report.ok:
                flash(f"导入成功：共 {batch.imported_rows} 人", "success")
                return redirect(url_for("roster.person_list"))
            return render_template("roster/import_report.html", batch=batch, report=report)
    return render_template("roster/import.html", form=form, columns=importer.COLUMNS)


@blueprint.route("/import/<int:batch_id>/accept", methods=["POST"])
@require("roster.import")
def import_accept(batch_id):
    """Write only the valid rows of a checked file, at the user's explicit request."""
    batch = run_service(lambda: importer.commit(current_user, batch_id, only_valid=True))
    if batch is FAILED:
        return redirect(url_for("roster.import_start"))
    flash(f"已导入有效行 {batch.imported_rows} 人，跳过错误行 {batch.error_rows} 行", "success")
    return redirect(url_for("roster.person_list"))


@blueprint.route("/import/<int:batch_id>/errors.xlsx")
@require("roster.import")
def import_errors(batch_id):
    """Every refused row of the user's checked file, in their own columns with the reasons."""
    made = run_service(lambda: importer.error_workbook(current_user, batch_id))
    if made is FAILED:
        return redirect(url_for("roster.import_start"))
    stream, batch = made
    stem = batch.filename.rsplit(".", 1)[0]
    return send_file(stream, as_attachment=True, download_name=f"{stem}-错误行.xlsx")


@blueprint.route("/import/template")
@require("roster.import")
def import_template():
    """An empty sheet with the expected column headers."""
    return send_file(importer.template_xlsx(), as_attachment=True, download_name="花名册导入模板.xlsx")


@blueprint.route("/export", methods=["POST"])
@require("roster.export")
def export():
    """The roster (within the user's scope, as filtered) as .xlsx; audited."""
    stream = exporter.export_roster(current_user, branch_id=request.form.get("branch", type=int))
    return send_file(stream, as_attachment=True, download_name="花名册.xlsx")
