"""Time helpers: the database stores naive UTC; people see Asia/Taipei."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

TAIPEI = ZoneInfo("Asia/Taipei")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def today_taipei() -> date:
    return datetime.now(TAIPEI).date()
