from datetime import datetime

import pytest
from apscheduler.triggers.cron import CronTrigger

from portal.core import clock, scheduler
from portal.credits import services
from portal.credits.services import Source


def test_every_job_is_registered_on_an_asia_shanghai_cron(app):
    built = scheduler.build_scheduler(app)
    jobs = {job.id: job for job in built.get_jobs()}
    assert "credits.close_ended_periods" in jobs
    trigger = jobs["credits.close_ended_periods"].trigger
    assert isinstance(trigger, CronTrigger) and str(trigger.timezone) == "Asia/Shanghai"


def test_run_job_by_id_and_refuse_unknown(app, world, now):
    services.award(world.people.member, "session_attend", Source("session", 1),
                   when=datetime(2026, 11, 5, 10, tzinfo=clock.LOCAL_TZ))
    from portal.extensions import db

    db.session.commit()
    now.set(datetime(2026, 12, 2, 1, tzinfo=clock.LOCAL_TZ))
    closed = scheduler.run_job(app, "credits.close_ended_periods")
    assert "2026年11月" in closed
    assert scheduler.run_job(app, "credits.close_ended_periods") == []
    with pytest.raises(KeyError):
        scheduler.run_job(app, "no.such.job")


def test_cli_runs_a_job_and_lists_jobs(app, db):
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["scheduler", "list"])
    assert "credits.close_ended_periods" in listed.output
    ran = runner.invoke(args=["scheduler", "run", "credits.close_ended_periods"])
    assert ran.exit_code == 0 and "完成" in ran.output
    unknown = runner.invoke(args=["scheduler", "run", "nope"])
    assert unknown.exit_code != 0 and "没有这个定时任务" in unknown.output
