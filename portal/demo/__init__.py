"""`flask demo ...`: load a believable demo mine (organisations, roster, demo accounts)."""

import time
import unicodedata

import click
from flask import current_app
from flask.cli import with_appcontext

from portal.core.exceptions import PortalError
from portal.demo import activity, generator
from portal.demo.exemplars import load_exemplars
from portal.demo.exemplars import summary as exemplar_summary
from portal.demo.study import load_study
from portal.demo.study import summary as study_summary
from portal.extensions import db
from portal.roster.models import PoliticalStatus


@click.group("demo", help="演示数据")
def demo_cli():
    """Demo data commands."""


@demo_cli.command("load", help="载入演示煤矿：党组织、单位、花名册和各角色演示账号")
@click.option("--people", default=300, show_default=True, type=click.IntRange(50, 50000),
              help="人员数量")
@click.option("--if-empty", is_flag=True, help="数据库已有数据时跳过，不报错")
@click.option("--seed", type=int, default=None, help="随机种子：相同种子生成相同的人员")
@click.option("--activity-days", type=click.IntRange(0, 3660), default=0, show_default=True,
              help="同时生成最近若干天的学习积分记录（如 365：约每人每天 1-3 条），并结算已结束的周期")
@click.option("--study/--no-study", default=True, show_default=True,
              help="同时载入学习内容：文章与学习安排、题库与每日一题、每周一测、组织生活")
@click.option("--exemplars/--no-exemplars", default=True, show_default=True,
              help="同时载入六大员评选：上年度已公布的评选（荣誉墙）和本年度投票中的评选")
@with_appcontext
def load(people, if_empty, seed, activity_days, study, exemplars):
    """Build the demo mine in one transaction, then print the demo accounts."""
    started = time.perf_counter()
    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException("生产环境不能载入演示数据（演示账号的密码是公开的）")
    if generator.database_has_data():
        if not if_empty:
            raise click.ClickException(generator.NOT_EMPTY_MESSAGE)
        click.echo("数据库已有数据，未载入演示数据。")
        accounts = generator.demo_accounts()
        if accounts:
            _echo_accounts(accounts)
        return
    try:
        result = generator.load_demo(people, seed)
        credit = activity.generate_activity(activity_days, result.seed) if activity_days else None
        learning = load_study(result.seed) if study else None
        campaigns = load_exemplars(result.seed) if exemplars else None
        db.session.commit()
    except PortalError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    except BaseException:
        db.session.rollback()
        raise
    _echo_summary(result, time.perf_counter() - started)
    if credit is not None:
        click.echo(
            f"  积分：最近 {credit.days} 天，{credit.people} 名党员和积极分子，台账 {credit.entries} 条，"
            f"累计 {credit.totals} 条，已结算周期 {credit.closed} 个"
        )
    if learning is not None:
        click.echo(study_summary(learning))
    if campaigns is not None:
        click.echo(exemplar_summary(campaigns))
    _echo_accounts(result.accounts)


def _echo_summary(result, seconds):
    counts = result.statuses
    click.echo(
        f"已载入演示数据（{seconds:.1f} 秒，随机种子 {result.seed}，可用 --seed {result.seed} 重现）：\n"
        f"  组织：{result.mine}党委，党支部 {result.branches} 个，党小组 {result.groups} 个；"
        f"单位 {result.units} 个\n"
        f"  人员：{result.people} 人，其中正式党员 {counts[PoliticalStatus.FULL_MEMBER]}、"
        f"预备党员 {counts[PoliticalStatus.PROBATIONARY]}、"
        f"入党积极分子 {counts[PoliticalStatus.ACTIVIST]}、群众 {counts[PoliticalStatus.MASSES]}"
    )


def _width(text):
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text, width):
    return text + " " * (width - _width(text))


def _echo_accounts(accounts):
    headers = ("角色", "姓名", "登录账号（工号）", "密码")
    rows = [(a.role_label, a.name, a.login, a.password) for a in accounts]
    widths = [max(_width(row[i]) for row in (headers, *rows)) for i in range(len(headers))]
    click.echo("\n演示账号：")
    for row in (headers, *rows):
        click.echo("  " + "  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip())
    click.echo(
        "\n说明：演示账号未设置“首次登录须修改密码”，可直接用工号（管理员用 admin）和上面的密码登录体验；"
        "\n      密码是公开的，请勿在正式环境中保留这些账号。"
    )
