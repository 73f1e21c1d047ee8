"""`flask content sync`: content/articles/*.md become articles; idempotent; bad files write nothing."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.core.exceptions import ValidationError
from portal.extensions import db
from portal.study.models.articles import Article, ArticleRead
from portal.study.services import content
from tests.study.article_factories import NOW, TODAY

REPO_ARTICLES = Path(__file__).resolve().parents[2] / "content" / "articles"

GOOD = """---
title: 学习新党章
date: 2026-11-23
tags: [党章党规, "理论学习"]
reading_seconds: 90
source: 《中国共产党章程》
---

## 总纲

党员要**牢记**入党誓词。
"""


def write(directory, name, text):
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def articles():
    return db.session.scalars(select(Article).order_by(Article.slug)).all()


@pytest.fixture()
def folder(tmp_path, world, now):
    now.set(NOW)
    write(tmp_path, "2026-11-23-dangzhang.md", GOOD)
    write(tmp_path, "2026-11-24-anquan.md", GOOD.replace("学习新党章", "安全生产责任").replace("90", "120"))
    return tmp_path


def sync(app, directory):
    return app.test_cli_runner().invoke(args=["content", "sync", "--dir", str(directory)])


def test_new_files_become_committee_articles(app, folder, world):
    result = sync(app, folder)
    assert result.exit_code == 0, result.output
    assert "新增 2 篇，更新 0 篇，下架 0 篇，未变 0 篇" in result.output
    first, second = articles()
    assert (first.slug, first.title, first.reading_seconds, first.published_on) == (
        "2026-11-23-dangzhang", "学习新党章", 90, TODAY)
    assert first.tag_names == ["党章党规", "理论学习"] and first.source == "《中国共产党章程》"
    assert "**牢记**" in first.body and first.organisation_id == world.committee.id
    assert second.reading_seconds == 120 and len(first.content_hash) == 64


def test_running_again_changes_nothing_and_says_so(app, folder):
    sync(app, folder)
    before = [(a.id, a.updated_at, a.content_hash) for a in articles()]
    result = sync(app, folder)
    assert result.exit_code == 0
    assert "没有变化" in result.output and "未变 2 篇" in result.output
    db.session.expire_all()
    assert [(a.id, a.updated_at, a.content_hash) for a in articles()] == before


def test_an_edited_file_updates_its_article(app, folder):
    sync(app, folder)
    edited = GOOD.replace("90", "150").replace("[党章党规, \"理论学习\"]", "[党章党规]")
    write(folder, "2026-11-23-dangzhang.md", edited)
    result = sync(app, folder)
    assert "新增 0 篇，更新 1 篇，下架 0 篇，未变 1 篇" in result.output
    assert "更新：2026-11-23-dangzhang" in result.output
    db.session.expire_all()
    article = db.session.scalar(select(Article).where(Article.slug == "2026-11-23-dangzhang"))
    assert article.reading_seconds == 150 and article.tag_names == ["党章党规"]


def test_a_removed_file_retires_its_article_and_keeps_who_read_it(app, folder, world):
    sync(app, folder)
    article = db.session.scalar(select(Article).where(Article.slug == "2026-11-24-anquan"))
    db.session.add(ArticleRead(person_id=world.people.member.id, article_id=article.id,
                               branch_id=world.branch_a.id, started_at=NOW, read_at=NOW))
    db.session.commit()
    (folder / "2026-11-24-anquan.md").unlink()
    result = sync(app, folder)
    assert "下架 1 篇" in result.output and "下架：2026-11-24-anquan" in result.output
    db.session.expire_all()
    article = db.session.get(Article, article.id)
    assert article.retired_at is not None
    assert db.session.scalar(select(func.count(ArticleRead.id))) == 1
    assert "没有变化" in sync(app, folder).output  # retiring twice is not a change
    write(folder, "2026-11-24-anquan.md", GOOD)  # the file comes back: so does the article
    assert "更新 1 篇" in sync(app, folder).output
    db.session.expire_all()
    assert db.session.get(Article, article.id).retired_at is None


@pytest.mark.parametrize(("text", "message"), [
    (GOOD.replace("title: 学习新党章\n", ""), "缺少标题（title）"),
    (GOOD.replace("2026-11-23", "2026-02-30"), "日期（date）应为 YYYY-MM-DD"),
    (GOOD.replace("reading_seconds: 90", "reading_seconds: 九十"), "最短阅读时间（reading_seconds）"),
    (GOOD.replace("reading_seconds: 90", "reading_seconds: 5"), "最短阅读时间（reading_seconds）"),
    (GOOD.replace("---\n\n##", "\n##"), "缺少结束的 --- 行"),
    (GOOD.replace("source:", "source"), "不是“键: 值”的格式"),
    (GOOD.replace("source:", "sauce:"), "“sauce”不是可用的字段"),
    (GOOD.replace("[党章党规, \"理论学习\"]", "[党章党规, 理论学习"), "列表缺少结尾的 ]"),
    ("# 没有前置信息\n正文", "文件应以 --- 开头"),
])
def test_a_bad_file_is_named_and_nothing_is_written(app, folder, text, message):
    sync(app, folder)
    write(folder, "2026-11-23-dangzhang.md", GOOD.replace("90", "100"))  # a valid edit...
    write(folder, "2026-11-30-bad.md", text)  # ...and a bad new file
    result = sync(app, folder)
    assert result.exit_code != 0
    assert "2026-11-30-bad.md" in result.output and message in result.output
    assert "没有写入任何内容" in result.output
    db.session.expire_all()
    assert [a.slug for a in articles()] == ["2026-11-23-dangzhang", "2026-11-24-anquan"]
    assert articles()[0].reading_seconds == 90  # the valid edit was not applied either


def test_a_file_that_is_not_utf8_is_refused(folder):
    (folder / "2026-11-30-gbk.md").write_bytes(GOOD.encode("gbk"))
    with pytest.raises(ValidationError, match="2026-11-30-gbk.md：文件不是 UTF-8 编码"):
        content.sync_articles(folder)


def test_a_missing_directory_is_a_clear_error(app, tmp_path, world):
    result = sync(app, tmp_path / "nowhere")
    assert result.exit_code != 0 and "找不到文章目录" in result.output


def test_the_repository_articles_are_all_valid(app, world):
    files = content.read_directory(REPO_ARTICLES)
    assert len(files) >= 3
    assert all(f.title and f.reading_seconds >= 10 and f.body.strip() for f in files)
    result = app.test_cli_runner().invoke(args=["content", "sync"])  # the default directory
    assert result.exit_code == 0 and f"新增 {len(files)} 篇" in result.output


def test_front_matter_values():
    meta, body = content.parse_front_matter("---\ntitle: '引号: 也行'\ntags: []\n# 注释\n---\n正文\n")
    assert meta == {"title": "引号: 也行", "tags": []} and body == "正文\n"
