"""Markdown goes through one sanitising renderer: nothing executable reaches a browser."""

import pytest

from portal.core.markdown import plain_text, render


def test_renders_structure():
    html = render("# 标题\n\n**重点**内容\n\n| 列 | 值 |\n|---|---|\n| a | 1 |\n\n- 一\n- 二")
    assert "<h1>标题</h1>" in html
    assert "<strong>重点</strong>" in html
    assert "<table>" in html and "<td>a</td>" in html
    assert "<li>一</li>" in html


@pytest.mark.parametrize("source, forbidden", [
    ("<script>alert(1)</script>正文", "<script"),
    ('<img src="x" onerror="alert(1)">', "onerror"),
    ("[点我](javascript:alert(1))", "javascript:"),
    ('<a href="JaVaScRiPt:alert(1)">x</a>', "javascript:"),
    ('<iframe src="https://example.com"></iframe>', "<iframe"),
    ('<p style="background:url(x)">x</p>', "style="),
    ("![x](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
    ('<svg onload="alert(1)"></svg>', "onload"),
    ("<form action=/x><input name=a></form>", "<form"),
])
def test_strips_executable_content(source, forbidden):
    assert forbidden not in render(source).lower()


def test_links_keep_http_and_get_rel():
    html = render("[官网](https://example.com/a)")
    assert 'href="https://example.com/a"' in html
    assert "noopener" in html


def test_plain_text_summary():
    assert plain_text("# 标题\n\n正文**加粗**<script>x</script>", limit=6) == "标题 正文…"
    assert plain_text("") == ""
