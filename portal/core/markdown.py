"""The one way Markdown becomes HTML: a fixed extension list, then nh3 sanitisation."""

import markdown as _markdown
import nh3
from markupsafe import Markup

# Python-Markdown extensions every article, material and reflection is rendered with.
EXTENSIONS = ["tables", "fenced_code", "sane_lists", "nl2br", "attr_list", "def_list", "abbr"]

# What survives sanitisation: text structure, tables, links and images; no scripts,
# styles, event handlers, forms or frames.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "span", "strong", "sub",
    "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
}
# Only these schemes in href/src: `javascript:` and `data:` links never reach a browser.
URL_SCHEMES = {"http", "https", "mailto"}


def render(text):
    """Markdown source -> sanitised HTML, safe to insert in a template."""
    html = _markdown.markdown(text or "", extensions=EXTENSIONS, output_format="html")
    clean = nh3.clean(
        html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow", strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def plain_text(text, limit=None):
    """The rendered text without markup (for summaries and notifications)."""
    words = nh3.clean(str(render(text)), tags=set()).split()
    result = " ".join(words)
    if limit is not None and len(result) > limit:
        result = result[: limit - 1].rstrip() + "…"
    return result
