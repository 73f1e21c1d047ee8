"""`flask scheduler ...`: run the scheduler process, list its jobs, or run one job now."""

import click
from flask import current_app
from flask.cli import with_appcontext

from portal.core import scheduler


@click.group("scheduler", invoke_without_command=True, help="定时任务")
@click.pass_context
def scheduler_cli(ctx):
    """Without a sub-command: run the scheduler in the foreground."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(start)


@scheduler_cli.command("start", help="在前台运行定时任务进程（全站只运行一个）")
@with_appcontext
def start():
    """Run every job on its schedule until stopped."""
    app = current_app._get_current_object()
    built = scheduler.build_scheduler(app)
    for job in built.get_jobs():
        click.echo(f"  {job.id}: {job.trigger}")
    click.echo("定时任务进程已启动（Asia/Shanghai），按 Ctrl-C 停止")
    try:
        built.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("定时任务进程已停止")


@scheduler_cli.command("list", help="列出全部定时任务")
@with_appcontext
def list_jobs():
    """Print each job and its schedule."""
    for job_id, func, cron in scheduler.all_jobs(current_app):
        summary = (func.__doc__ or "").strip().splitlines()[0] if func.__doc__ else ""
        click.echo(f"{job_id}\t{cron}\t{summary}")


@scheduler_cli.command("run", help="立即运行一个定时任务")
@click.argument("job_id")
@with_appcontext
def run(job_id):
    """Run one job now and print its result."""
    try:
        result = scheduler.run_job(current_app._get_current_object(), job_id)
    except KeyError:
        raise click.ClickException(f"没有这个定时任务：{job_id}") from None
    click.echo(f"{job_id} 完成：{result}")
