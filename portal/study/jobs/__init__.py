"""Scheduled study jobs, collected from each area's module for the scheduler process."""

from portal.study.jobs import articles, daily, meetings, quizzes

# (job id, function, cron fields in Asia/Shanghai)
SCHEDULE = [*articles.SCHEDULE, *daily.SCHEDULE, *meetings.SCHEDULE, *quizzes.SCHEDULE]
