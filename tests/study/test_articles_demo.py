"""The demo mine's 每日一学: articles synced, a plan around today, reads with their credits."""

import random

from sqlalchemy import func, select

from portal.core import clock
from portal.credits.models import LedgerEntry
from portal.demo import study_articles
from portal.extensions import db
from portal.study.models.articles import Article, ArticleRead, StudyAssignment
from tests import factories
from tests.study.article_factories import TODAY, at


def test_demo_articles_plan_and_reads(world, now):
    now.set(at(2026, 11, 23, 23, 50))
    # Readers without accounts (the world's people all have one, and accounts skip today's reading).
    for i in range(6):
        factories.make_person(world.unit_a, f"读者{i}")
    result = study_articles.load(world.committee, [world.branch_a, world.branch_b], rng=random.Random(3),
                                 today=TODAY)
    db.session.commit()
    files = db.session.scalar(select(func.count(Article.id)).where(Article.slug.is_not(None)))
    assert files >= 14 and result.articles == files + 1
    days = db.session.scalars(select(StudyAssignment.day).where(
        StudyAssignment.organisation_id == world.committee.id).order_by(StudyAssignment.day)).all()
    assert days[0] < TODAY < days[-1] and len(days) == len(set(days))
    committee_articles = db.session.scalars(select(StudyAssignment.article_id).where(
        StudyAssignment.organisation_id == world.committee.id)).all()
    assert len(committee_articles) == len(set(committee_articles))  # no article comes round twice
    reads = db.session.scalars(select(ArticleRead)).all()
    assert result.reads == len(reads) > 20
    assert all(r.seconds_on_page >= r.article.reading_seconds for r in reads)
    assert all(r.read_at <= clock.utcnow() for r in reads)
    with_accounts = {p.id for p in vars(world.people).values()}
    todays = [r for r in reads if clock.to_local(r.read_at).date() == TODAY]
    assert todays and not any(r.person_id in with_accounts for r in todays)
    credited = db.session.scalars(select(LedgerEntry).where(LedgerEntry.rule_code == "study_read")).all()
    assert result.credited == len(credited) > 0
    assert {e.source_type for e in credited} == {"article_read"}
    assert {e.source_id for e in credited} <= {r.id for r in reads}
