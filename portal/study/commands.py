"""`flask content ...`: study material kept as files beside the code."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from portal.core.exceptions import PortalError
from portal.extensions import db
from portal.study.services import content


@click.group("content", help="学习内容（content/ 目录下的文章）")
def content_cli():
    """Content commands."""


def default_article_dir():
    """content/articles beside the portal package, whatever the working directory."""
    return Path(current_app.root_path).parent / content.DEFAULT_DIR


@content_cli.command("sync", help="把 content/articles 下的 Markdown 文章同步到数据库（可重复运行）")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="文章目录（默认 content/articles）")
@with_appcontext
def sync(directory):
    """Add new files, update edited ones, retire removed ones; a bad file stops the run, nothing written."""
    try:
        result = content.sync_articles(directory or default_article_dir())
        db.session.commit()
    except PortalError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(result.summary())
    for label, slugs in (("新增", result.added), ("更新", result.updated), ("下架", result.retired)):
        for slug in slugs:
            click.echo(f"  {label}：{slug}")
