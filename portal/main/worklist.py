"""The work list of a staff home page: what waits for this user, counted, with its oldest item and its
nearest due date, each a link to the list where the user acts.

Every workflow of the portal that waits for a role is a `Source`: which roles act on it, the waiting rows
as a query over the feature's own tables and scopes (each row gives the day it started waiting and, where
the workflow has one, its due date), and the link to the list filtered to exactly those rows. All the
sources of a role are counted in ONE statement (a UNION ALL of one small aggregate per source), and each
branch stops after COUNT_CAP + 1 rows, ordered nearest-due (or oldest) first so that the first and nearest
dates are exact even when the count says "1,000+". The page's cost therefore does not grow with the data:
a fixed number of statements, and each branch reads at most COUNT_CAP + 1 rows over the queue indexes.
A source whose waiting rows are counted by the database itself (`counted`: the hours on days without
insurance, portal/insurance/flags.py) sums its kept count instead, exact.

Who acts where (the route policies and loaders of each feature decide the same):
- unit staff: volunteers' hour claims and disputes (hours), performance certificates to prepare, English documents to
  issue (certificates, due 7 days after the request: docs/rules/certificates.md#p2), training records to
  verify (the supervisor; the clerk only in a unit without one: docs/rules/training.md#t4), ID photos to
  accept, imports checked and waiting for confirmation, volunteers missing training, award rounds open for
  the unit's applications (due on the round's unit deadline);
- the supervisor also countersigns prepared performance certificates;
- unit staff and the county: hours on days without the unit's insurance (docs/rules/insurance.md#i6);
- the county: record-book requests to issue, honor-card applications to review, lost-certificate cases;
- the local sector authority: lost-certificate cases, award applications to forward (due on the round's
  review deadline); the central sector authority: award applications to forward;
- the ministry: forwarded award applications to decide (due on the round's ministry deadline);
- every authority named as a responsible body of a meeting resolution still under tracking: progress to
  report (resolutions; the ministry reviews them at the next meeting).
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, DateTime, Select, case, cast, exists, func, literal, not_, null, select, union_all

from portal.auth.models import User
from portal.awards.models import AwardApplication, AwardRound, RoundStatus
from portal.awards.rules import waiting_stage
from portal.awards.scopes import review_scope
from portal.certificates.facts import OPEN_STEPS
from portal.certificates.models import CertificateRequest
from portal.honor_cards.models import ApplicationStatus as CardApplicationStatus
from portal.honor_cards.models import HonorCardApplication
from portal.honor_cards.scopes import reviewable_scope
from portal.hours.disputes import DisputeStatus, HourDispute
from portal.hours.models import EntryStatus, HourEntry
from portal.imports.models import BatchStatus, ImportBatch
from portal.insurance.cover import flagged_count, flagged_in_year
from portal.insurance.models import HourCoverFlag
from portal.platform import access
from portal.platform.extensions import db
from portal.platform.pagination import COUNT_CAP
from portal.platform.timeutil import taipei_date
from portal.records.models import PENDING as BOOK_PENDING
from portal.records.models import RecordBookRequest
from portal.registry.models import Membership, Person, PhotoStatus, Unit
from portal.registry.scopes import unit_scope
from portal.resolutions.models import Resolution
from portal.resolutions.models import Status as ResolutionStatus
from portal.resolutions.scopes import mine as my_resolutions
from portal.training.facts import lacks_training
from portal.training.models import CaseStatus, LostCertificateCase, TrainingRecord, TrainingStatus
from portal.training.scopes import case_scope

# Items due within this many days are marked "due soon" (a certificate is due 7 days after its request,
# so a new request is due soon at once; one due in 8 days is not yet).
DUE_SOON_DAYS = 7

NO_TIME = cast(null(), DateTime)
NO_DAY = cast(null(), Date)


@dataclass(frozen=True)
class Source:
    key: str
    label: object                                   # lazy string, the item's title
    roles: tuple[str, ...]
    rows: Callable[[object, date], Select]          # (user, today) -> select(since_at, since_on, due)
    link: Callable[[object], tuple[str, dict]]      # user -> (endpoint, arguments)
    has_due: bool = False
    # (user, today) -> select(n, since_on) from a count kept by the database, for a source whose rows are too
    # many to read even COUNT_CAP + 1 of in order (the count is then exact); `rows` is not read then.
    counted: Callable[[object, date], Select] | None = None


@dataclass
class Item:
    """One line of the work list."""
    key: str
    label: object
    count: int
    more: bool                 # more than `count` (the count stopped at COUNT_CAP)
    since: date | None         # the day the oldest item started waiting
    due: date | None           # the nearest due date
    overdue: int               # how many are past their due date (up to COUNT_CAP)
    url: str
    today: date

    @property
    def count_text(self) -> str:
        return f"{self.count:,}+" if self.more else f"{self.count:,}"

    @property
    def waiting_days(self) -> int | None:
        return (self.today - self.since).days if self.since else None

    @property
    def due_in(self) -> int | None:
        """Days until the nearest due date: 0 on the day itself, negative once it has passed."""
        return (self.due - self.today).days if self.due else None

    @property
    def is_overdue(self) -> bool:
        return self.overdue > 0

    @property
    def due_soon(self) -> bool:
        return self.due_in is not None and 0 <= self.due_in <= DUE_SOON_DAYS

    def sort_key(self):
        """Overdue first, then by the nearest of due date and waiting start, items without dates last."""
        first = min([d for d in (self.due, self.since) if d is not None], default=date.max)
        return (not self.is_overdue, first, str(self.label))


def _rows(since_at=NO_TIME, since_on=NO_DAY, due=NO_DAY) -> Select:
    return select(since_at.label("since_at"), since_on.label("since_on"), due.label("due"))


# --- unit staff ----------------------------------------------------------------------------------

def _claims(user, today):
    return _rows(since_at=HourEntry.entered_at).where(
        HourEntry.unit_id == user.unit_id, HourEntry.status == EntryStatus.PENDING)


def _disputes(user, today):
    """Volunteers' disputes of the unit's entries, waiting for the unit's answer (docs/rules/hours.md#h13)."""
    return _rows(since_at=HourDispute.opened_at).where(
        HourDispute.unit_id == user.unit_id, HourDispute.status == DisputeStatus.OPEN)


def _certificates(step):
    def rows(user, today):
        return _rows(since_on=CertificateRequest.requested_on, due=CertificateRequest.due_on).where(
            CertificateRequest.unit_id == user.unit_id, OPEN_STEPS[step])
    return rows


def _training_to_verify(user, today):
    query = _rows(since_at=TrainingRecord.created_at).where(
        TrainingRecord.unit_id == user.unit_id, TrainingRecord.status == TrainingStatus.PENDING)
    if user.role == access.UNIT_CLERK:   # the clerk verifies only where the unit has no supervisor
        query = query.where(not_(exists().where(User.unit_id == user.unit_id, User.active.is_(True),
                                                User.role == access.UNIT_SUPERVISOR)))
    return query


def _photos(user, today):
    """Driven from the few waiting photos (a partial index on people) to the unit's current memberships."""
    return _rows(since_at=Person.photo_uploaded_at).where(
        Person.photo_status == PhotoStatus.PENDING,
        exists().where(Membership.person_id == Person.id, Membership.unit_id == user.unit_id, Membership.is_current))


def _missing_training(user, today):
    """The rows of the training feature's missing list for the unit (one per current membership)."""
    return _rows().select_from(Membership).where(
        Membership.unit_id == user.unit_id, Membership.is_current,
        lacks_training(Membership.person_id, Membership.field_code))


def _imports(user, today):
    return _rows(since_at=ImportBatch.created_at).where(
        ImportBatch.unit_id == user.unit_id, ImportBatch.status == BatchStatus.PREVIEWED,
        ImportBatch.error_count == 0)


def _uninsured_hours(user, today):
    """Hours of this year on days without the unit's cover (docs/rules/insurance.md#i6), from the kept flags."""
    return _rows(since_on=HourCoverFlag.start_on).where(flagged_in_year(user, today.year))


def _uninsured_count(user, today):
    """The same, counted from the kept counts per unit and year (a county sums its units' rows), exact."""
    return flagged_count(user, today.year)


def _award_rounds(user, today):
    return _rows(due=AwardRound.unit_deadline).where(AwardRound.status == RoundStatus.OPEN,
                                                     AwardRound.unit_deadline >= today)


# --- authorities ---------------------------------------------------------------------------------

def _record_books(user, today):
    return _rows(since_on=RecordBookRequest.requested_on).join(Unit, Unit.id == RecordBookRequest.unit_id).where(
        RecordBookRequest.status == BOOK_PENDING, unit_scope(user))


def _lost_cases(user, today):
    return _rows(since_at=LostCertificateCase.created_at).where(
        LostCertificateCase.status == CaseStatus.FILED, case_scope(user))


def _honor_cards(user, today):
    return _rows(since_on=HonorCardApplication.applied_on).where(
        HonorCardApplication.status == CardApplicationStatus.SUBMITTED, reviewable_scope(user))


def _awards(user, today):
    deadline = AwardRound.ministry_deadline if user.role == access.MINISTRY else AwardRound.review_deadline
    return _rows(since_at=AwardApplication.applied_at, due=deadline).join(
        AwardRound, AwardRound.id == AwardApplication.round_id).where(
        AwardApplication.status == waiting_stage(user.role), review_scope(user))


def _resolutions(user, today):
    return _rows(since_at=Resolution.created_at).where(Resolution.status == ResolutionStatus.OPEN,
                                                       my_resolutions(user))


def _own_unit(endpoint, **args):
    return lambda user: (endpoint, {**args, "unit": user.unit_id})


def _plain(endpoint, **args):
    return lambda user: (endpoint, args)


SOURCES = (
    Source("claims", _l("Hours claims to decide"), access.UNIT_STAFF, _claims, _plain("hours.claims")),
    Source("disputes", _l("Disputed hour entries to answer"), access.UNIT_STAFF, _disputes,
           _plain("hours.disputes")),
    Source("certificates_prepare", _l("Performance certificates to prepare"), access.UNIT_STAFF,
           _certificates("prepare"), _plain("certificates.index", open="prepare", _anchor="requests-heading"),
           has_due=True),
    Source("certificates_countersign", _l("Performance certificates to countersign"), (access.UNIT_SUPERVISOR,),
           _certificates("countersign"), _plain("certificates.index", open="countersign",
                                                _anchor="requests-heading"), has_due=True),
    Source("english", _l("English documents to issue"), access.UNIT_STAFF, _certificates("english"),
           _plain("certificates.index", open="english", _anchor="requests-heading"), has_due=True),
    Source("training_verify", _l("Training records to verify"), access.UNIT_STAFF, _training_to_verify,
           _own_unit("training.index", status=TrainingStatus.PENDING.value)),
    Source("photos", _l("ID photos to accept"), access.UNIT_STAFF, _photos,
           _plain("volunteers.index", photo=PhotoStatus.PENDING.value)),
    Source("imports", _l("Imports checked and waiting for confirmation"), access.UNIT_STAFF, _imports,
           _plain("imports.index", waiting="1")),
    Source("award_rounds", _l("Award rounds open for applications"), access.UNIT_STAFF, _award_rounds,
           _plain("awards.index"), has_due=True),
    Source("missing_training", _l("Volunteers missing training"), access.UNIT_STAFF, _missing_training,
           _plain("training.missing")),
    # Unit staff and the county (the list's readers, insurance.cover_views.READERS): kept flags and counts
    # (portal/insurance/flags.py), so the county's count no longer finds every unit's cover gaps.
    Source("uninsured_hours", _l("Hours on days without insurance this year"), (*access.UNIT_STAFF, access.COUNTY),
           _uninsured_hours, _plain("insurance.uninsured"), counted=_uninsured_count),
    Source("record_books", _l("Record-book requests to issue"), (access.COUNTY,), _record_books,
           _plain("records.index")),
    Source("honor_cards", _l("Honor-card applications to review"), (access.COUNTY,), _honor_cards,
           _plain("honor_cards.review")),
    Source("lost_cases", _l("Lost-certificate cases to decide"), (access.COUNTY, access.SECTOR_LOCAL),
           _lost_cases, _plain("training.cases", status=CaseStatus.FILED.value)),
    Source("awards_forward", _l("Award applications to review and forward"),
           (access.SECTOR_LOCAL, access.SECTOR_CENTRAL), _awards, _plain("awards.review"), has_due=True),
    Source("awards_decide", _l("Award applications to decide"), (access.MINISTRY,), _awards,
           _plain("awards.review"), has_due=True),
    Source("resolutions", _l("Meeting resolutions to report progress on"), access.AUTHORITIES, _resolutions,
           _plain("resolutions.items", status=ResolutionStatus.OPEN.value, body="mine")),
)


def sources_for(user) -> list[Source]:
    """The sources whose work this user does and whose list the user may open."""
    return [s for s in SOURCES if user.role in s.roles and access.may_call(s.link(user)[0], user.role)]


def _branch(source: Source, user, today: date):
    if source.counted is not None:
        kept = source.counted(user, today).subquery()
        return select(literal(source.key).label("key"), kept.c.n.label("n"), NO_TIME.label("since_at"),
                      kept.c.since_on.label("since_on"), NO_DAY.label("due"), literal(0).label("overdue"))
    rows = source.rows(user, today)
    first = (rows.selected_columns.due, rows.selected_columns.since_on, rows.selected_columns.since_at)
    inner = rows.order_by(*first).limit(COUNT_CAP + 1).subquery()
    return select(literal(source.key).label("key"), func.count().label("n"),
                  func.min(inner.c.since_at).label("since_at"), func.min(inner.c.since_on).label("since_on"),
                  func.min(inner.c.due).label("due"),
                  func.coalesce(func.sum(case((inner.c.due < today, 1), else_=0)), 0).label("overdue"))


def counts(sources: list[Source], user, today: date) -> dict[str, tuple]:
    """{key: (n, since_at, since_on, due, overdue)} of the sources, in one statement."""
    if not sources:
        return {}
    statement = union_all(*[_branch(s, user, today) for s in sources])
    return {row.key: (row.n, row.since_at, row.since_on, row.due, row.overdue)
            for row in db.session.execute(statement)}


def _day(value) -> date | None:
    """A since value as a Taipei day (stored timestamps are naive UTC)."""
    if isinstance(value, datetime):
        return taipei_date(value)
    return value


def work_list(user, today: date) -> list[Item]:
    """What waits for this user today, items with nothing waiting left out, the most urgent first."""
    sources = sources_for(user)
    found = counts(sources, user, today)
    items = []
    for source in sources:
        n, since_at, since_on, due, overdue = found.get(source.key, (0, None, None, None, 0))
        if not n:
            continue
        since = min([d for d in (_day(since_at), _day(since_on)) if d is not None], default=None)
        endpoint, args = source.link(user)
        items.append(Item(source.key, source.label, min(n, COUNT_CAP), n > COUNT_CAP, since, due,
                          min(int(overdue or 0), COUNT_CAP), url_for(endpoint, **args), today))
    return sorted(items, key=Item.sort_key)
