"""Scheduled daily-question jobs; plain functions run inside an app context by the scheduler."""

from portal.study.services.daily import draw_daily_questions

# (job id, function, cron fields in Asia/Shanghai): draw each branch's question before the
# first shift comes up; members opening the page earlier still get the same deterministic draw.
SCHEDULE = [
    ("study.draw_daily_questions", draw_daily_questions, {"hour": 0, "minute": 10}),
]
