"""Time helpers: the database stores naive UTC; people see Asia/Taipei."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

TAIPEI = ZoneInfo("Asia/Taipei")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def today_taipei() -> date:
    return datetime.now(TAIPEI).date()


def taipei_date(value: datetime | None) -> date | None:
    """The Taipei calendar day of a stored naive-UTC timestamp."""
    return value.replace(tzinfo=timezone.utc).astimezone(TAIPEI).date() if value else None
