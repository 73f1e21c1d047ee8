"""The home page."""

from flask import Blueprint, render_template
from flask_login import current_user

from portal.core.permissions import login_required
from portal.home import services

blueprint = Blueprint("home", __name__)


@blueprint.route("/")
@login_required
def index():
    """Each role's panels: what needs doing now."""
    return render_template("home/index.html", panels=services.dashboard(current_user))
