"""Scheduled exemplar jobs; plain functions run inside an app context by the scheduler process."""

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.exemplars.models import Campaign, Phase
from portal.exemplars.services import publicity
from portal.extensions import db

log = logging.getLogger(__name__)


def advance_campaigns():
    """Move each campaign on as its planned times come (one commit per campaign); safe to run twice or in parallel."""
    moved = []
    for campaign_id in db.session.scalars(select(Campaign.id).where(Campaign.phase != Phase.FINAL)).all():
        campaign = db.session.get(Campaign, campaign_id)
        try:
            steps = publicity.advance_due(campaign)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            log.info("campaign %s was moved on by another process", campaign_id)
            continue
        moved += [(campaign_id, before, after) for before, after in steps]
    return moved


# (job id, function, cron fields in Asia/Shanghai)
SCHEDULE = [
    ("exemplars.advance_campaigns", advance_campaigns, {"minute": "*"}),
]
