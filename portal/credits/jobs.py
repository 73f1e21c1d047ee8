"""Scheduled credit jobs; plain functions run inside an app context by the scheduler process."""

import logging

from sqlalchemy.exc import IntegrityError

from portal.credits import standings
from portal.extensions import db

log = logging.getLogger(__name__)


def close_ended_periods():
    """Freeze every ended 旬/month/quarter/year not yet frozen, one commit each; safe to run twice or in parallel."""
    closed = []
    for period in standings.periods_to_close():
        try:
            frozen = standings.close_period(period)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            log.info("period %s was closed by another process", period.key)
            continue
        if frozen is not None:
            closed.append(period.label)
    return closed


# (job id, function, cron fields in Asia/Shanghai)
SCHEDULE = [
    ("credits.close_ended_periods", close_ended_periods, {"hour": 0, "minute": 5}),
]
