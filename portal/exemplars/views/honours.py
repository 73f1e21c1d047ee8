"""The honours wall: titles won by year and category, with deeds, photo and branch; its download."""

import io

from flask import render_template, request, send_file

from portal.core import cache, markdown
from portal.core.permissions import login_required
from portal.core.text import clean_filename
from portal.core.xlsx import XLSX
from portal.exemplars.services import honours, nominations
from portal.exemplars.views import blueprint


@blueprint.route("/honours")
@login_required
def honours_wall():
    """A year's honours (the newest by default), category by category."""
    asked = request.args.get("year", type=int)

    def render_wall():
        years = honours.years()
        year = asked if asked in years else (years[0] if years else None)
        return render_template("exemplars/_wall.html", years=years, year=year, md=markdown.render,
                               wall=honours.wall(year) if year else [])

    return render_template("exemplars/honours.html", body=cache.fragment(honours.wall_key(asked), render_wall))


@blueprint.route("/honours/export")
@login_required
def honours_export():
    """A year's honours (the newest by default) as .xlsx."""
    year = request.args.get("year", type=int) or next(iter(honours.years()), None)
    stream = honours.workbook(year)
    return send_file(stream, mimetype=XLSX, as_attachment=True, download_name=f"{year}年度六大员名单.xlsx")


@blueprint.route("/honours/<int:honour_id>/photos/<int:photo_id>")
@login_required
def honour_photo(honour_id, photo_id):
    """A winner's photo, for everyone who may see the wall."""
    file = honours.photo(honour_id, photo_id)
    data = nominations.stored_bytes(file)
    response = send_file(io.BytesIO(data), mimetype=file.mime_type, download_name=clean_filename(file.filename))
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
