"""The study module's tables, one file per area; importing this package registers them all."""

from portal.study.models import (  # noqa: F401 - imported to register the tables
    articles,
    daily,
    meetings,
    questions,
    quizzes,
)
