"""Study articles kept as Markdown files (content/articles/*.md) and `flask content sync`.

A file starts with front matter between two `---` lines: simple `key: value` lines, lists
written `[a, b]`. That is all the files use, so a small strict parser reads it (PyYAML would
accept far more than we want, e.g. a date where a title should be, and is not a dependency).
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select

from portal.core.clock import utcnow
from portal.core.exceptions import ValidationError
from portal.extensions import db
from portal.roster.services import root_organisation
from portal.study.models.articles import MAX_READING_SECONDS, MIN_READING_SECONDS, Article, ArticleTag

DEFAULT_DIR = "content/articles"
KEYS = {"title", "date", "tags", "reading_seconds", "source"}
TITLE_MAX, SOURCE_MAX, TAG_MAX, TAGS_MAX = 120, 200, 30, 10
_KEY_LINE = re.compile(r"^([A-Za-z_]+)\s*:\s*(.*)$")
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,119}$")


@dataclass(frozen=True)
class ArticleFile:
    """One parsed and checked content file."""

    slug: str
    title: str
    published_on: date
    tags: tuple
    reading_seconds: int
    source: str
    body: str
    content_hash: str


@dataclass
class SyncResult:
    """What a sync did; `changed` is False when the database already matched the files."""

    added: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    retired: list = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self):
        """True if anything was written."""
        return bool(self.added or self.updated or self.retired)

    def summary(self):
        """The line the command prints."""
        counts = (f"新增 {len(self.added)} 篇，更新 {len(self.updated)} 篇，"
                  f"下架 {len(self.retired)} 篇，未变 {self.unchanged} 篇")
        if not self.changed:
            return f"学习文章已是最新，没有变化（{counts}）。"
        return f"学习文章同步完成：{counts}。"


def _unquote(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _value(raw):
    """A front-matter value: a string, or a list of strings for `[a, b]`."""
    raw = raw.strip()
    if raw.startswith("["):
        if not raw.endswith("]"):
            raise ValueError("列表缺少结尾的 ]")
        inner = raw[1:-1].strip()
        items = [_unquote(item) for item in inner.split(",")] if inner else []
        if any(not item for item in items):
            raise ValueError("列表中有空的项")
        return items
    return _unquote(raw)


def parse_front_matter(text):
    """Split a file's text into (front matter dict, body); raises ValueError with a Chinese reason."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        raise ValueError("文件应以 --- 开头的前置信息（title、date、reading_seconds 等）开始")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise ValueError("前置信息缺少结束的 --- 行") from None
    meta = {}
    for number, line in enumerate(lines[1:end], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _KEY_LINE.match(line.strip())
        if match is None:
            raise ValueError(f"第 {number} 行不是“键: 值”的格式")
        key, raw = match.group(1), match.group(2)
        if key not in KEYS:
            raise ValueError(f"第 {number} 行的“{key}”不是可用的字段（可用：{', '.join(sorted(KEYS))}）")
        if key in meta:
            raise ValueError(f"第 {number} 行重复填写了“{key}”")
        try:
            meta[key] = _value(raw)
        except ValueError as error:
            raise ValueError(f"第 {number} 行：{error}") from None
    return meta, "\n".join(lines[end + 1:]).strip() + "\n"


def _text(meta, key):
    value = meta.get(key, "")
    if isinstance(value, list):
        raise ValueError(f"“{key}”应为文字，不是列表")
    return value.strip()


def check_file(path):
    """Read and check one content file; raises ValueError with a Chinese reason."""
    slug = path.stem
    if not _SLUG.match(slug):
        raise ValueError("文件名只能用字母、数字、- 和 _（不超过 120 个字符）")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("文件不是 UTF-8 编码") from None
    meta, body = parse_front_matter(text)
    title = _text(meta, "title")
    if not title:
        raise ValueError("缺少标题（title）")
    if len(title) > TITLE_MAX:
        raise ValueError(f"标题超过 {TITLE_MAX} 个字")
    try:
        published_on = date.fromisoformat(_text(meta, "date"))
    except ValueError:
        raise ValueError("日期（date）应为 YYYY-MM-DD 格式的有效日期，如 2026-11-23") from None
    reading = _text(meta, "reading_seconds")
    if not reading.isdigit() or not MIN_READING_SECONDS <= int(reading) <= MAX_READING_SECONDS:
        raise ValueError(f"最短阅读时间（reading_seconds）应为 {MIN_READING_SECONDS} 到 "
                         f"{MAX_READING_SECONDS} 之间的整数秒")
    tags = meta.get("tags", [])
    if isinstance(tags, str):
        tags = [tags] if tags else []
    tags = tuple(dict.fromkeys(t.strip() for t in tags))
    if len(tags) > TAGS_MAX or any(len(t) > TAG_MAX for t in tags):
        raise ValueError(f"标签（tags）最多 {TAGS_MAX} 个，每个不超过 {TAG_MAX} 个字")
    source = _text(meta, "source")
    if len(source) > SOURCE_MAX:
        raise ValueError(f"出处（source）超过 {SOURCE_MAX} 个字")
    if not body.strip():
        raise ValueError("正文为空")
    return ArticleFile(slug=slug, title=title, published_on=published_on, tags=tags,
                       reading_seconds=int(reading), source=source, body=body,
                       content_hash=hashlib.sha256(data).hexdigest())


def read_directory(directory):
    """Every *.md file of `directory`, checked; ValidationError listing each bad file if any is bad."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ValidationError(f"找不到文章目录：{directory}")
    files, errors = [], []
    for path in sorted(directory.glob("*.md")):
        try:
            files.append(check_file(path))
        except (ValueError, OSError) as error:
            errors.append(f"{path.name}：{error}")
    if errors:
        raise ValidationError("以下文件有错误，本次同步没有写入任何内容：\n" + "\n".join(errors))
    return files


def sync_articles(directory=DEFAULT_DIR):
    """Make the committee's file articles match `directory`: add, update, retire (never delete)."""
    files = read_directory(directory)
    owner = root_organisation()
    if owner is None:
        raise ValidationError("尚未建立党委组织，无法同步学习文章（请先载入或建立组织机构）")
    existing = {a.slug: a for a in db.session.scalars(select(Article).where(Article.slug.is_not(None)))}
    result = SyncResult()
    for item in files:
        article = existing.pop(item.slug, None)
        if article is None:
            article = Article(slug=item.slug, organisation=owner)
            _apply(article, item)
            db.session.add(article)
            result.added.append(item.slug)
        elif article.content_hash != item.content_hash or article.retired_at is not None:
            _apply(article, item)
            article.retired_at = None  # a file that came back restores its article
            result.updated.append(item.slug)
        else:
            result.unchanged += 1
    for slug, article in sorted(existing.items()):
        if article.retired_at is None:
            article.retired_at = utcnow()  # reads and plans keep pointing at it
            result.retired.append(slug)
    db.session.flush()
    return result


def _apply(article, item):
    article.title = item.title
    article.body = item.body
    article.published_on = item.published_on
    article.reading_seconds = item.reading_seconds
    article.source = item.source
    article.content_hash = item.content_hash
    wanted = set(item.tags)
    article.tags = [t for t in article.tags if t.tag in wanted]
    have = {t.tag for t in article.tags}
    article.tags.extend(ArticleTag(tag=tag) for tag in item.tags if tag not in have)
