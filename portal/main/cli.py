"""`flask --app wsgi notify daily [--date YYYY-MM-DD]`: the day's reminders and the staff's digests
(reminders.py), run once a day from cron (docs/deployment.md). A command of the notifications' `notify` group,
added here because the reminders read every feature (this floor may; notifications may not)."""
import click

from portal.notifications.cli import notify_cli
from portal.platform.dates import parse_date
from portal.platform.timeutil import today_taipei

from .reminders import run_daily


@notify_cli.command("daily")
@click.option("--date", "day", default="", help="run as of this day (YYYY-MM-DD; default: today in Taipei)")
def daily_command(day):
    """Honor cards expiring, certificates due, award round deadlines, and the staff's daily digests."""
    try:
        today = parse_date(day) if day else today_taipei()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--date") from None
    done = run_daily(today)
    click.echo(f"notify daily {today.isoformat()}: " + ", ".join(f"{n} {name}" for name, n in done.items()))
    if any(n < 0 for n in done.values()):
        raise SystemExit(1)
