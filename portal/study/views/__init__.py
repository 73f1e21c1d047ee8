"""The study blueprint; each area's views live in their own module and register on it."""

from flask import Blueprint

import portal.study.models  # noqa: F401 - registers the study tables with the metadata

blueprint = Blueprint("study", __name__, url_prefix="/study")

# Importing the area modules attaches their routes to the blueprint.
from portal.study.views import (  # noqa: E402, F401 - imported for their routes
    articles,
    attempts,
    bank,
    calendar,
    daily,
    hub,
    meetings,
    quizzes,
    reading,
)
