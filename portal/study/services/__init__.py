"""The study module's rules, one module per area (articles, daily, quizzes, meetings)."""

# Loading any study service (the views and jobs all do) registers the study checks with the
# credits module's 异常提醒, which cannot import them itself.
from portal.study.services import anomalies  # noqa: F401
