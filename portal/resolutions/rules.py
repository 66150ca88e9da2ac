"""Resolution tracking rules: plain facts in, decisions out (no database, no request).

The life of an item (docs/resolutions.md): a meeting makes it (open); at each later meeting the ministry
gives its 管考建議 — 繼續列管 keeps it open, 解除列管 releases it at that meeting; meanwhile each responsible
body reports progress. A later meeting's list "上次會議決議事項辦理情形" holds every earlier item still open
when that meeting sat, including the ones it releases."""
from collections.abc import Iterable
from datetime import date

from flask_babel import lazy_gettext as _l

from portal.platform.dates import roc_year as roc_year_of

from .models import Outcome, Status

EARLIEST_ROC_YEAR = 80   # the ministry's meetings on record start long after 1991; a typo guard
LATEST_ROC_YEAR = 200


def carried_over(item_year: int, status: str, closed_year: int | None, meeting_year: int) -> bool:
    """Whether an item made at the meeting of `item_year` is on the list of the meeting of `meeting_year`:
    an earlier meeting's item, not withdrawn, not released before that meeting (released *at* it is on it,
    with 解除列管 as its 管考建議)."""
    if item_year >= meeting_year or status == Status.WITHDRAWN:
        return False
    return closed_year is None or closed_year >= meeting_year


def status_after(outcome: str) -> str:
    return Status.CLOSED if outcome == Outcome.CLOSE else Status.OPEN


def may_report(status: str, authority_id: int | None, body_authority_ids: Iterable[int]) -> bool:
    """A body reports progress on its own items while they are tracked (not released, not withdrawn)."""
    return status == Status.OPEN and authority_id is not None and authority_id in set(body_authority_ids)


def review_problem(item_year: int, meeting_year: int, reviewed_years: Iterable[int], status: str):
    """Why the ministry cannot give a 管考建議 on the item at that meeting, or None.

    Reviews follow the meetings in order: at a later meeting than the item's, and not at a meeting
    earlier than one that already reviewed it (the history would contradict itself)."""
    if status == Status.WITHDRAWN:
        return _l("This item was withdrawn.")
    if meeting_year <= item_year:
        return _l("An item is reviewed at a later meeting than the one that made it.")
    if any(year > meeting_year for year in reviewed_years):
        return _l("A later meeting has already reviewed this item.")
    return None


def meeting_problem(roc_year: int, held_on: date | None):
    """A meeting's date lies in its own ROC year (the year numbers its resolutions)."""
    if not EARLIEST_ROC_YEAR <= roc_year <= LATEST_ROC_YEAR:
        return _l("Enter the ROC year of the meeting, for example 113.")
    if held_on is not None and roc_year_of(held_on) != roc_year:
        return _l("The date of the meeting is not in ROC year %(year)s.", year=roc_year)
    return None


def report_key(report) -> tuple:
    """Order of a body's reports: by the day reported (undated old reports first), then as posted."""
    return (report.reported_on or date.min, report.posted_at, report.id)


def latest_reports(reports: Iterable, cutoff: date | None) -> dict[int, object]:
    """The newest report of each body (authority id → report) on or before `cutoff` (the day the meeting
    sat: a report posted for a later meeting does not change an earlier meeting's list); undated reports
    count as early. `cutoff` None: every report."""
    latest = {}
    for report in sorted(reports, key=report_key):
        if cutoff is None or report.reported_on is None or report.reported_on <= cutoff:
            latest[report.authority_id] = report
    return latest
