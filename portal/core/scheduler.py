"""The one scheduler process: APScheduler running each domain's jobs in Asia/Shanghai time."""

import logging

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from portal.core.clock import LOCAL_TZ, utcnow

log = logging.getLogger(__name__)


def all_jobs(app):
    """Every scheduled job the app factory registered: (id, function, cron fields)."""
    return app.extensions.get("portal_jobs", [])


def run_job(app, job_id):
    """Run one job now inside an app context; returns what the job returned."""
    jobs = {job_id: func for job_id, func, _ in all_jobs(app)}
    if job_id not in jobs:
        raise KeyError(job_id)
    with app.app_context():
        try:
            return jobs[job_id]()
        except Exception:
            from portal.extensions import db

            db.session.rollback()
            log.exception("job %s failed", job_id)
            raise


def build_scheduler(app):
    """A blocking scheduler with every job registered (one instance at a time, misfires coalesced).

    Each job also runs once at start-up, catching up on whatever fell due while the process
    was down; jobs are idempotent, so this is always safe.
    """
    scheduler = BlockingScheduler(timezone=LOCAL_TZ)
    for job_id, _func, cron in all_jobs(app):
        scheduler.add_job(
            run_job, CronTrigger(timezone=LOCAL_TZ, **cron), args=[app, job_id], id=job_id,
            max_instances=1, coalesce=True, misfire_grace_time=3600, replace_existing=True,
            next_run_time=utcnow(),
        )
    return scheduler
