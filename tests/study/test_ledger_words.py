"""A member's ledger says in words what each entry was for: the article, the question, the test, the session."""

import io
import re

from openpyxl import load_workbook

from tests.study.ledger_sources import TITLES, book_every_source, sample_values


def _rows(page):
    """Each entry's rule name and its line of details, as the member reads them."""
    rows = []
    for block in page.split('data-testid="entry"')[1:]:
        name = re.search(r"<strong>([^<]+)</strong>", block).group(1)
        details = re.search(r'<div class="small text-muted">(.*?)</div>', block, re.S).group(1)
        rows.append((name, " ".join(re.sub(r"<[^>]+>", " ", details).split())))
    return rows


def test_every_entry_names_what_it_was_for_and_no_id(client, login_as, world, now):
    book_every_source(world, sample_values(world))
    login_as(world.users.member)
    page = client.get("/credits/mine").get_data(as_text=True)
    details = dict(_rows(page))
    assert "每日一学：矩阵测试文章" in details["每日一学"]
    assert "每日一题：矩阵测试题" in details["每日一题"]
    assert "每周一测：矩阵测试" in details["每周一测"]
    assert "组织生活：矩阵测试研讨" in details["参加组织生活"]
    assert "心得体会：矩阵测试研讨" in details["心得体会"]
    visible = re.sub(r"<[^>]+>", " ", page)
    assert not re.search(r"#\s*\d|第\s*\d+\s*条", visible)  # was: 每日一题 #9953 · 第 484 条
    assert "冲销记录" in visible and "冲销：手动加减分（" in visible and "不再计分" in visible


def test_the_ledger_export_names_the_sources_in_words(client, login_as, world, now):
    book_every_source(world, sample_values(world))
    login_as(world.users.committee)
    response = client.get(f"/credits/people/{world.people.member.id}/export")
    sheet = load_workbook(io.BytesIO(response.data)).active
    sources = {row[5] for row in sheet.iter_rows(min_row=2, values_only=True)}
    for label, title in TITLES.items():
        assert f"{label}：{title}" in sources
    assert not any("#" in source for source in sources)
