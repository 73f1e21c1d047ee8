"""Writing articles in the portal: the editor, 预览, retire/restore, the list, and no XSS anywhere."""

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.study.models.articles import Article, ArticleTag
from tests.conftest import keyed
from tests.study.article_factories import NOW, TODAY, make_article, plan

XSS = """## 标题

<script>alert('x')</script>

<img src="x.png" onerror="alert(1)">

[点我](javascript:alert(2)) <a href="javascript:alert(3)">也点我</a>

<div onclick="alert(4)" style="color:red">正文</div>
"""


def assert_no_script(html):
    lowered = html.lower()
    assert "alert(" not in lowered
    assert "onerror" not in lowered and "onclick" not in lowered and "javascript:" not in lowered
    assert "<script>alert" not in lowered


def form(**overrides):
    data = {"title": "学习新修订的《安全生产法》", "organisation_id": "", "published_on": "2026-11-23",
            "reading_seconds": "90", "tags": "安全生产，法律法规", "source": "《安全生产法》",
            "body": "## 第一条\n\n为了**加强**安全生产工作。", "save": "保存"}
    data.update(overrides)
    return data


@pytest.fixture(autouse=True)
def _now(now):
    now.set(NOW)


def test_a_secretary_writes_an_article_for_their_branch(client, login_as, world):
    login_as(world.users.secretary)
    page = client.get("/study/articles/new").get_data(as_text=True)
    assert "2026-11-23" in page and "综采一队党支部" in page
    response = client.post("/study/articles/new", data=keyed(form(organisation_id=world.branch_a.id)))
    assert response.status_code == 302
    article = db.session.scalar(select(Article))
    assert (article.title, article.organisation_id, article.reading_seconds, article.created_by_id) == (
        "学习新修订的《安全生产法》", world.branch_a.id, 90, world.users.secretary.id)
    assert article.tag_names == ["安全生产", "法律法规"] and article.slug is None
    shown = client.get(response.location).get_data(as_text=True)
    assert "<strong>加强</strong>" in shown and "已发布" in shown


def test_a_secretary_cannot_publish_for_another_organisation(client, login_as, world):
    login_as(world.users.secretary)
    response = client.post("/study/articles/new", data=keyed(form(organisation_id=world.committee.id)))
    assert response.status_code == 200 and db.session.scalar(select(Article)) is None


@pytest.mark.parametrize(("field", "value", "message"), [
    ("title", "", "请填写标题"),
    ("body", "", "请填写正文"),
    ("reading_seconds", "3", "应在 10 到 3600 秒之间"),
    ("tags", "，".join(f"标签{i}" for i in range(11)), "标签最多 10 个"),
])
def test_bad_input_is_explained_and_nothing_saved(client, login_as, world, field, value, message):
    login_as(world.users.secretary)
    response = client.post("/study/articles/new", data=keyed(form(organisation_id=world.branch_a.id, **{field: value})))
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(Article)) is None


def test_preview_renders_sanitised_markdown_and_saves_nothing(client, login_as, world):
    login_as(world.users.secretary)
    response = client.post("/study/articles/new", data=keyed(form(
        organisation_id=world.branch_a.id, body=XSS, preview="预览", save="")))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="preview"' in html
    assert "<h2>标题</h2>" in html and "正文" in html
    preview = html.split('data-testid="preview-body"', 1)[1].split("</section>", 1)[0]
    assert_no_script(preview)
    assert db.session.scalar(select(Article)) is None


def test_an_xss_article_never_reaches_the_browser(client, login_as, world):
    article = make_article(world.committee, title="<script>alert('t')</script>标题", body=XSS)
    plan(article, world.committee)
    db.session.commit()
    for role in ("member", "secretary"):
        login_as(getattr(world.users, role))
        html = client.get(f"/study/articles/{article.id}").get_data(as_text=True)
        assert "&lt;script&gt;alert" in html  # the title is escaped text
        body = html.split('data-testid="article-body"', 1)[1].split("</article>", 1)[0]
        assert_no_script(body)
        assert "<img" in body and 'src="x.png"' in body  # the harmless part survives
        today = client.get("/study/today").get_data(as_text=True)
        assert "<script>alert" not in today
        client.post("/logout")


def test_editing_keeps_the_owner_and_updates_the_text(client, login_as, world):
    article = make_article(world.branch_a, title="旧标题")
    db.session.commit()
    login_as(world.users.secretary)
    page = client.get(f"/study/articles/{article.id}/edit").get_data(as_text=True)
    assert "旧标题" in page
    response = client.post(f"/study/articles/{article.id}/edit",
                           data=keyed(form(title="新标题", organisation_id=world.branch_a.id, tags="党章")))
    assert response.status_code == 302
    db.session.expire_all()
    article = db.session.get(Article, article.id)
    assert article.title == "新标题" and article.tag_names == ["党章"] and article.organisation_id == world.branch_a.id


def test_file_articles_and_other_branches_articles_cannot_be_edited(client, login_as, world):
    from_file = make_article(world.committee, title="文件文章", slug="2026-11-23-x", content_hash="0" * 64)
    theirs = make_article(world.branch_b, title="掘进二队的文章")
    committee_article = make_article(world.committee, title="党委撰写")
    db.session.commit()
    login_as(world.users.committee)
    response = client.get(f"/study/articles/{from_file.id}/edit")
    refusal = response.get_data(as_text=True)
    assert response.status_code == 403 and "本文由平台内容库统一维护，不能在此编辑" in refusal
    assert "content/" not in refusal and "flask" not in refusal
    # The article page says the same in the user's words: no repository path, no command.
    page = client.get(f"/study/articles/{from_file.id}").get_data(as_text=True)
    note = page[page.index('data-testid="from-file"'):].split("</p>")[0]
    assert "平台内容库" in note and "不能在此编辑" in note
    assert not any(word in page for word in ("content/articles", ".md", "内容文件", "运行内容同步"))
    client.post("/logout")
    login_as(world.users.secretary)
    assert client.get(f"/study/articles/{theirs.id}/edit").status_code == 404
    response = client.get(f"/study/articles/{committee_article.id}/edit")
    assert response.status_code == 403 and "只能编辑本组织的文章" in response.get_data(as_text=True)
    client.post(f"/study/articles/{committee_article.id}/retire")
    db.session.expire_all()
    assert db.session.get(Article, committee_article.id).retired_at is None


def test_retire_and_restore(client, login_as, world):
    article = make_article(world.branch_a, title="下架测试")
    db.session.commit()
    login_as(world.users.secretary)
    response = client.post(f"/study/articles/{article.id}/retire", follow_redirects=True)
    assert "已下架，阅读记录仍然保留" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Article, article.id).retired_at is not None
    listed = client.get("/study/articles/").get_data(as_text=True)
    assert "下架测试" not in listed
    assert "下架测试" in client.get("/study/articles/?status=retired").get_data(as_text=True)
    again = client.post(f"/study/articles/{article.id}/retire", follow_redirects=True)
    assert "已经下架" in again.get_data(as_text=True)
    client.post(f"/study/articles/{article.id}/restore")
    db.session.expire_all()
    assert db.session.get(Article, article.id).retired_at is None


def test_the_list_searches_filters_and_pages(client, login_as, world):
    for i in range(25):
        make_article(world.committee, title=f"安全规程第{i}讲", published_on=TODAY)
    tagged = make_article(world.branch_a, title="本支部的党章学习")
    tagged.tags.append(ArticleTag(tag="党章党规"))
    make_article(world.branch_b, title="掘进二队自己的文章")
    db.session.commit()
    login_as(world.users.secretary)
    first = client.get("/study/articles/").get_data(as_text=True)
    assert first.count('data-testid="article-row"') == 20 and "共 26 条" in first
    assert "掘进二队自己的文章" not in first
    assert client.get("/study/articles/?page=2").get_data(as_text=True).count('data-testid="article-row"') == 6
    found = client.get("/study/articles/?q=第1").get_data(as_text=True)
    assert found.count('data-testid="article-row"') == 11  # 第1讲, 第10-19讲
    by_tag = client.get("/study/articles/?tag=党章党规").get_data(as_text=True)
    assert by_tag.count('data-testid="article-row"') == 1 and "本支部的党章学习" in by_tag
    mine = client.get("/study/articles/?origin=portal&q=%25").get_data(as_text=True)
    assert 'data-testid="no-articles"' in mine  # % is a literal, not a wildcard


@pytest.mark.parametrize("attack", ["' OR 1=1 --", "%", "_", "\\", "<script>alert(1)</script>"])
def test_hostile_strings_in_the_article_search(client, login_as, world, attack):
    make_article(world.committee, title="安全规程")
    db.session.commit()
    login_as(world.users.secretary)
    for param in ("q", "tag", "status", "origin"):
        response = client.get("/study/articles/", query_string={param: attack})
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "<script>alert(1)</script>" not in html
        if param in ("q", "tag"):
            assert 'data-testid="no-articles"' in html
