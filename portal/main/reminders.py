"""Reminders the calendar brings, and the staff's daily digest (issue 13): `flask notify daily`, run once a day.

- honor_cards.expiring: a valid card whose last day is at most EXPIRY_NOTICE_DAYS (60) days away, to the
  volunteer, unless a later card already follows it (a renewal was approved);
- certificates.due: an open certificate request due in at most DUE_NOTICE_DAYS (2) days, to the unit's staff;
- awards.round_deadline: an open round whose units' deadline is 7 days away, and again 1 day away
  (ROUND_NOTICES), to the staff of the units that may apply in it (units_that_may_apply);
- digest.daily: to every staff account with unread notifications of the day before, one e-mail listing them
  and what waits on its work list, in the account's language, unless its preferences turn the digest off.

Each reminder goes once per (kind, thing, stage): reminders_sent (models.ReminderSent) keeps what was given,
written in the same transaction as the notification, so a rerun the same day sends nothing twice and two
runs at once cannot both send it. A reminder's window starts at its notice day and runs to the day itself,
so a day the job did not run is caught up the next day, with the days actually left. Dates are Taipei's
(docs/rules/dates.md#dt4); `--date` runs the job as of another day.
"""
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from portal.auth.models import User
from portal.awards.facts import load_facts
from portal.awards.models import AwardRound, RoundStatus, Scheme
from portal.awards.operations import round_name
from portal.awards.rules import HEALTH_AND_WELFARE_FIELDS, THRESHOLDS, Standing, standing_of
from portal.certificates.models import OPEN_REQUEST_STATUSES, CertificateRequest
from portal.honor_cards.models import CardStatus, HonorCard
from portal.hours.summaries import HourMonth
from portal.insurance import alerts as insurance_alerts
from portal.notifications import events
from portal.notifications.models import Channel, Notification, Preference
from portal.notifications.operations import notify, queue_message
from portal.notifications.recipients import unit_staff, volunteer_accounts
from portal.notifications.rules import channel_enabled
from portal.platform import access
from portal.platform.extensions import db
from portal.platform.i18n import DEFAULT as DEFAULT_LOCALE
from portal.platform.i18n import format_date
from portal.platform.pagination import COUNT_CAP
from portal.platform.timeutil import TAIPEI
from portal.registry.models import Membership

from .models import ReminderSent
from .worklist import counts, sources_for

log = logging.getLogger(__name__)

EXPIRY_NOTICE_DAYS = 60
DUE_NOTICE_DAYS = 2
ROUND_NOTICES = (7, 1)          # days before the units' deadline; each is a stage of its own
DIGEST = "digest.daily"         # the digest's preference key (notifications.events)
DIGEST_MAX_ITEMS = 20           # notifications listed in one digest; the rest are counted
CHUNK = 1000                    # ids per query (PostgreSQL takes at most 65,535 parameters)


# --- the rules of the windows (pure) ---------------------------------------------------------------

def round_stage(days_left: int) -> int | None:
    """Which notice of a round is due with `days_left` days to its units' deadline: 7 from 7 down to 2 days,
    1 on the last day and the day before; None before 7 days and after the deadline."""
    for notice, later in zip(ROUND_NOTICES, ROUND_NOTICES[1:] + (-1,), strict=True):
        if later < days_left <= notice:
            return notice
    return None


def taipei_day_utc(day: date) -> tuple[datetime, datetime]:
    """The Taipei calendar day as the naive-UTC range the database stores times in: [start, end)."""
    start = datetime.combine(day, time.min, tzinfo=TAIPEI).astimezone(timezone.utc).replace(tzinfo=None)
    return start, start + timedelta(days=1)


# --- once only -------------------------------------------------------------------------------------

def not_sent(kind: str, object_id, stage=""):
    """SQL condition: no reminder of this kind and stage was given for the thing yet."""
    return ~exists().where(ReminderSent.kind == kind, ReminderSent.object_id == object_id,
                           ReminderSent.stage == stage)


def claim(kind: str, object_id: int, day: date, stage: str = "", recipients: int = 0) -> bool:
    """Write that this reminder is given; False when another run wrote it first (then send nothing)."""
    try:
        with db.session.begin_nested():
            db.session.add(ReminderSent(kind=kind, object_id=object_id, stage=stage, sent_on=day,
                                        recipients=recipients))
    except IntegrityError:
        return False
    return True


def _accounts_by_person(person_ids) -> dict[int, list[User]]:
    found = defaultdict(list)
    for user in volunteer_accounts(person_ids):
        found[user.person_id].append(user)
    return found


# --- honor cards -----------------------------------------------------------------------------------

def honor_cards_expiring(today: date) -> int:
    """Tell the volunteers whose valid card ends within EXPIRY_NOTICE_DAYS days; returns the cards."""
    later = aliased(HonorCard)
    followed = exists().where(later.person_id == HonorCard.person_id, later.status == CardStatus.VALID,
                              later.valid_to > HonorCard.valid_to)
    cards = db.session.scalars(select(HonorCard).where(
        HonorCard.status == CardStatus.VALID, HonorCard.valid_to >= today,
        HonorCard.valid_to <= today + timedelta(days=EXPIRY_NOTICE_DAYS), ~followed,
        not_sent("honor_cards.expiring", HonorCard.id)).order_by(HonorCard.valid_to, HonorCard.id)).all()
    link = events.path_for("honor_cards.mine")
    for start in range(0, len(cards), CHUNK):      # the first run may find tens of thousands of cards
        chunk = cards[start:start + CHUNK]
        accounts = _accounts_by_person(c.person_id for c in chunk)
        for card in chunk:
            users = accounts.get(card.person_id, [])
            if claim("honor_cards.expiring", card.id, today, recipients=len(users)):
                notify(users, "honor_cards.expiring", link=link, expires_on=card.valid_to)
    return len(cards)


# --- certificates ----------------------------------------------------------------------------------

def certificates_due(today: date) -> int:
    """Tell the unit's staff of each open request due within DUE_NOTICE_DAYS days; returns the requests."""
    requests = db.session.scalars(select(CertificateRequest).options(selectinload(CertificateRequest.person)).where(
        CertificateRequest.status.in_(OPEN_REQUEST_STATUSES), CertificateRequest.due_on >= today,
        CertificateRequest.due_on <= today + timedelta(days=DUE_NOTICE_DAYS),
        not_sent("certificates.due", CertificateRequest.id)).order_by(CertificateRequest.due_on,
                                                                      CertificateRequest.id)).all()
    staff = defaultdict(list)
    for user in unit_staff({r.unit_id for r in requests}):
        staff[user.unit_id].append(user)
    for req in requests:
        users = staff.get(req.unit_id, [])
        if claim("certificates.due", req.id, today, recipients=len(users)):
            notify(users, "certificates.due", link=events.path_for("certificates.show_request", request_id=req.id),
                   person=req.person.name, kind=req.kind, due_on=req.due_on)
    return len(requests)


# --- award rounds ----------------------------------------------------------------------------------

def units_that_may_apply(award_round: AwardRound) -> list[int]:
    """The units where a current member has reached a tier of the round's scheme (eligible, or only a paper
    missing: the unit's list shows them to apply for), as the award engine finds them. Only people whose
    summed hours reach the lowest tier at all are examined (one grouped query of the hour summaries)."""
    fields = HEALTH_AND_WELFARE_FIELDS if award_round.scheme == Scheme.HEALTH_WELFARE else None
    lowest = min(THRESHOLDS[award_round.scheme].values())
    candidates = select(HourMonth.person_id).group_by(HourMonth.person_id).having(
        func.sum(HourMonth.half_hours) >= lowest)
    if fields:
        candidates = candidates.where(HourMonth.field_code.in_(fields))
    people = [pid for pid, facts in load_facts(candidates, award_round).items()
              if standing_of(facts) in (Standing.ELIGIBLE, Standing.PAPERS)]
    if not people:
        return []
    return sorted(set(db.session.scalars(select(Membership.unit_id).where(Membership.person_id.in_(people),
                                                                          Membership.is_current))))


def round_deadlines(today: date) -> int:
    """Tell the staff of the units that may apply that a round's units' deadline is 7 days and then 1 day away;
    returns the notices given. A moved deadline is a new stage (its date is in it), so it is told again."""
    given = 0
    rounds = db.session.scalars(select(AwardRound).where(
        AwardRound.status == RoundStatus.OPEN, AwardRound.unit_deadline >= today,
        AwardRound.unit_deadline <= today + timedelta(days=max(ROUND_NOTICES)))
        .order_by(AwardRound.unit_deadline, AwardRound.id)).all()
    for award_round in rounds:
        days_left = (award_round.unit_deadline - today).days
        notice = round_stage(days_left)
        stage = f"{notice}d:{award_round.unit_deadline.isoformat()}"
        if notice is None or db.session.scalar(select(ReminderSent.id).where(
                ReminderSent.kind == "awards.round_deadline", ReminderSent.object_id == award_round.id,
                ReminderSent.stage == stage)) is not None:
            continue
        users = unit_staff(units_that_may_apply(award_round))
        if claim("awards.round_deadline", award_round.id, today, stage=stage, recipients=len(users)):
            notify(users, "awards.round_deadline", link=events.path_for("awards.index", round=award_round.id),
                   round=round_name(award_round), deadline=award_round.unit_deadline, days=days_left)
            given += 1
    return given


# --- the staff's daily digest ----------------------------------------------------------------------

@dataclass
class Digest:
    subject: str
    body: str


def digest_users(day: date) -> list[tuple[User, int]]:
    """Active staff accounts with unread notifications made on `day` (Taipei), with how many."""
    start, end = taipei_day_utc(day)
    # Read per staff account through the inbox index (user, created_at), not the whole day of every inbox.
    staff = select(User.id).where(User.active.is_(True), User.role != access.VOLUNTEER)
    unread = (select(Notification.user_id, func.count().label("n"))
              .where(Notification.user_id.in_(staff), Notification.created_at >= start, Notification.created_at < end,
                     Notification.read_at.is_(None))
              .group_by(Notification.user_id).subquery())
    rows = db.session.execute(select(User, unread.c.n).join(unread, unread.c.user_id == User.id)
                              .order_by(User.id)).all()
    return [(user, n) for user, n in rows]


def digest_wanted(users: list[User]) -> set[int]:
    """The ids of the accounts whose preferences leave the digest e-mail on (it is on unless turned off)."""
    choices = defaultdict(dict)
    for user_id, event, enabled in db.session.execute(
            select(Preference.user_id, Preference.event, Preference.enabled).where(
                Preference.user_id.in_([u.id for u in users]), Preference.channel == Channel.EMAIL,
                Preference.event.in_((DIGEST, "*")))):
        choices[user_id][(event, Channel.EMAIL)] = enabled
    return {u.id for u in users if channel_enabled(DIGEST, Channel.EMAIL, choices[u.id])}


def _count_text(n: int) -> str:
    """A work-list count as the home page says it: it stops past COUNT_CAP ("1,000+")."""
    return f"{COUNT_CAP:,}+" if n > COUNT_CAP else f"{n:,}"


def compose_digest(user: User, day: date, today: date) -> Digest:
    """The digest of `user` for `day` in the user's language: the unread notifications of that day, newest
    first (at most DIGEST_MAX_ITEMS, the rest counted), and the counts of the user's work list today."""
    start, end = taipei_day_utc(day)
    unread = db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.created_at >= start, Notification.created_at < end,
        Notification.read_at.is_(None)).order_by(Notification.created_at.desc(), Notification.id.desc())).all()
    sources = sources_for(user)
    waiting = counts(sources, user, today)
    root = events.base_url()
    with force_locale(user.locale or DEFAULT_LOCALE):
        subject = ngettext("Daily summary: %(num)d new notification", "Daily summary: %(num)d new notifications",
                           len(unread))
        parts = [_("Notifications of %(date)s that you have not read yet:", date=format_date(day))]
        for note in unread[:DIGEST_MAX_ITEMS]:
            title, text = events.inbox_text(note.event, note.params)
            lines = [f"- {title}", f"  {text}"] if text else [f"- {title}"]
            if note.link:
                lines.append(f"  {root}{note.link}")
            parts.append("\n".join(lines))
        if len(unread) > DIGEST_MAX_ITEMS:
            parts.append(_("… and %(num)d more in your inbox.", num=len(unread) - DIGEST_MAX_ITEMS))
        items = [(source.label, _count_text(waiting[source.key][0])) for source in sources
                 if waiting.get(source.key, (0,))[0]]
        if items:
            parts.append("\n".join([_("Waiting on your work list:")]
                                   + ["- " + _("%(label)s: %(count)s", label=label, count=n) for label, n in items]))
        parts.append(_("Open your inbox: %(url)s", url=root + events.path_for("notifications.index")))
        parts.append("-- \n" + _("Volunteer Service Records Portal") + "\n"
                     + _("You get this message because of your notification settings: %(url)s",
                         url=root + events.path_for("notifications.preferences")))
    return Digest(str(subject), "\n\n".join(parts))


def send_digests(today: date) -> int:
    """One digest e-mail per staff account with unread notifications of yesterday; returns how many."""
    day = today - timedelta(days=1)
    found = digest_users(day)
    wanted = set()
    for start in range(0, len(found), CHUNK):
        wanted |= digest_wanted([user for user, _n in found[start:start + CHUNK]])
    sent = 0
    for user, _n in found:
        address = user.contact_email
        if user.id not in wanted or not address:
            continue
        if not claim(DIGEST, user.id, today, stage=day.isoformat(), recipients=1):
            continue
        digest = compose_digest(user, day, today)
        queue_message(Channel.EMAIL, address, digest.subject, digest.body, user_id=user.id, purpose=DIGEST)
        sent += 1
    return sent


# --- the daily run ---------------------------------------------------------------------------------

def insurance_age_caps(today: date) -> int:
    """docs/rules/insurance.md#i7: volunteers reaching the insurer's age cap within 60 days, while covered."""
    return insurance_alerts.age_cap_notices(today, not_sent, claim)


def insurance_policies_ending(today: date) -> int:
    """docs/rules/insurance.md#i7: policies ending within 60 days with no later policy recorded."""
    return insurance_alerts.policy_end_notices(today, not_sent, claim)


STEPS = (("honor cards expiring", honor_cards_expiring), ("certificates due", certificates_due),
         ("round deadline notices", round_deadlines), ("insurance age caps", insurance_age_caps),
         ("insurance policies ending", insurance_policies_ending), ("digests", send_digests))


def run_daily(today: date) -> dict[str, int]:
    """Every reminder and the digests as of `today`, each step committed on its own (a failing step leaves
    the others' work in place; what it did not send, it sends on the next run)."""
    done = {}
    for name, step in STEPS:
        try:
            done[name] = step(today)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("notify daily: %s failed", name)
            done[name] = -1
    return done
