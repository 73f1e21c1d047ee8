"""The honours wall: every title won, by year and category, readable by everyone on the roster."""

from flask import request
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from portal.core import cache
from portal.core.exceptions import NotFound
from portal.core.xlsx import write_workbook
from portal.exemplars.models import Campaign, EvidenceFile, Honour, Nomination
from portal.extensions import db
from portal.roster.models import Person


def years():
    """The years that have honours, newest first."""
    return db.session.scalars(select(Honour.year).distinct().order_by(Honour.year.desc())).all()


def wall(year):
    """[(category name, [(honour, deeds, photo id or None)])] of one year, categories in their campaign's order."""
    rows = db.session.execute(
        select(Honour, Nomination.deeds, Nomination.category_id)
        .options(contains_eager(Honour.person))
        .join(Nomination, Nomination.id == Honour.nomination_id)
        .join(Person, Person.id == Honour.person_id)
        .where(Honour.year == year)
        .order_by(Honour.campaign_id, Nomination.category_id, Honour.rank, Person.name_sort)).all()
    photos = dict(db.session.execute(select(EvidenceFile.nomination_id, EvidenceFile.id).where(
        EvidenceFile.nomination_id.in_([h.nomination_id for h, _d, _c in rows]),
        EvidenceFile.is_photo.is_(True))).all()) if rows else {}
    grouped = {}
    for honour, deeds, _category in rows:
        grouped.setdefault(honour.category_name, []).append((honour, deeds, photos.get(honour.nomination_id)))
    return list(grouped.items())


def wall_key(year):
    """The cache key of the rendered wall for the year asked (None: the newest): it and the newest title won."""
    return ("exemplars.wall", year, request.script_root, *cache.versions("exemplar_honours"))


def photo(honour_id, file_id):
    """(file, its nomination) of a winner's photo: anyone logged in may see it; NotFound otherwise."""
    honour = db.session.get(Honour, honour_id)
    file = db.session.get(EvidenceFile, file_id)
    if honour is None or file is None or not file.is_photo or file.nomination_id != honour.nomination_id:
        raise NotFound("照片不存在")
    return file


def workbook(year):
    """The honours of a year as .xlsx."""
    if year not in years():
        raise NotFound("该年度还没有评选结果")
    rows = []
    for category, honours in wall(year):
        for honour, _deeds, _photo in honours:
            campaign = db.session.get(Campaign, honour.campaign_id)
            rows.append([honour.year, category, honour.rank, honour.person.name, honour.branch_name, honour.votes,
                         honour.score, campaign.title])
    headers = ["年度", "荣誉称号", "名次", "姓名", "所在党支部", "得票数", "综合得分", "评选活动"]
    return write_workbook(headers, rows, title=f"{year}年度六大员", widths=[8, 18, 6, 10, 22, 8, 10, 30])
