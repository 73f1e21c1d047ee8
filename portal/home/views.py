"""The home page."""

from flask import Blueprint, current_app, render_template, send_from_directory
from flask_login import current_user

from portal.core.permissions import login_required, public
from portal.home import services

blueprint = Blueprint("home", __name__)


@blueprint.route("/")
@login_required
def index():
    """Each role's panels: what needs doing now."""
    return render_template("home/index.html", panels=services.dashboard(current_user))


@blueprint.route("/favicon.ico")
@public
def favicon():
    """Browsers ask for /favicon.ico whatever the page links; answer with the portal's icon."""
    return send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml")
