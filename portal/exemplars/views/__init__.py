"""The exemplar blueprint; each area's views live in their own module and register on it."""

from flask import Blueprint

import portal.exemplars.models  # noqa: F401 - registers the exemplar tables with the metadata
import portal.exemplars.services  # noqa: F401 - registers the exemplar credit rule

blueprint = Blueprint("exemplars", __name__, url_prefix="/exemplars")

# Importing the area modules attaches their routes to the blueprint.
from portal.exemplars.views import (  # noqa: E402, F401 - imported for their routes
    campaigns,
    honours,
    nominations,
    results,
    voting,
)
