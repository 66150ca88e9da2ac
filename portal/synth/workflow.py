"""The benchmark's part of the set, made through the portal's own operations (so the audit trail, the
document register and the rules see what a real user would have done): fixed accounts, this year's
award rounds with applications, and performance certificates with verification tokens.

Tokens and short codes come from the seed, not from `secrets`, so that the same seed gives the same
verification address; they are as long as the portal's own (documents.codes).
"""
import base64
import hashlib
import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import func, select

from portal.auth.mfa import MFA_ROLES
from portal.auth.models import User
from portal.auth.operations import create_user, password_context
from portal.auth.passwords import policy_problems
from portal.awards.facts import eligibility
from portal.awards.models import SCHEMES, AwardRound, RoundStatus, Scheme
from portal.awards.operations import apply, create_round
from portal.certificates.documents import request_payload
from portal.certificates.models import PERFORMANCE, RequestOrigin
from portal.certificates.operations import check_issuable, create_request, mark_issued
from portal.documents.codes import CODE_ALPHABET, CODE_LENGTH, TOKEN_BYTES, format_code
from portal.documents.operations import WorkflowError, prepare_document, render_document, store_document
from portal.hours.summaries import HourMonth
from portal.platform import access
from portal.platform.extensions import db
from portal.platform.timeutil import utcnow
from portal.records.models import RecordBook
from portal.registry.models import Authority, AuthorityKind, Membership, Person, Unit

from .people import Roles
from .plan import Plan
from .tables import Layout

MERIT = "長期投入社區關懷與長者陪伴，協助據點活動與電話問安，服務態度熱忱。"
APPLICATIONS = 50           # award applications of the largest unit in the open round
CANDIDATES = 200            # its volunteers with the most hours, looked at for certificates and awards

# username, role, anchor (what the scope points at), display name
ACCOUNTS = (
    ("synth.volunteer", access.VOLUNTEER, "person", None),
    ("synth.clerk", access.UNIT_CLERK, "unit", "大單位承辦人"),
    ("synth.supervisor", access.UNIT_SUPERVISOR, "unit", "大單位志工督導"),
    ("synth.county", access.COUNTY, "county", "新北市政府社會局"),
    ("synth.sector", access.SECTOR_LOCAL, "sector", "新北市社會福利主管機關"),
    ("synth.ministry", access.MINISTRY, "ministry", "衛生福利部"),
)
MANIFEST_KEYS = {"synth.volunteer": "volunteer", "synth.clerk": "clerk", "synth.supervisor": "supervisor",
                 "synth.county": "county", "synth.sector": "sector", "synth.ministry": "ministry"}


class PasswordRefused(ValueError):
    """The password does not meet the portal's policy for one of the accounts."""


@dataclass
class Benchmark:
    accounts: dict
    big_unit: dict
    award_round_id: int
    verify_token: str | None
    hours_post: dict


def check_password(password: str):
    """docs/rules/accounts.md: the synth accounts sign in like everyone else, so their password must pass
    the policy of every role they have."""
    for username, role, _, name in ACCOUNTS:
        problems = policy_problems(password, role, username, tuple(w for w in (name,) if w))
        if problems:
            raise PasswordRefused(f"{username}: {' '.join(problems)}")


def totp_secret(seed: int, username: str) -> str:
    """A known two-step key (base32, 160 bits like the portal's own), derived from the seed."""
    return base64.b32encode(hashlib.sha256(f"synth-{seed}-{username}".encode()).digest()[:20]).decode()


def set_up_benchmark(options, plan: Plan, layout: Layout, roles: Roles, today: date) -> Benchmark:
    big = db.session.get(Unit, layout.unit_id(plan.units[0]))
    volunteer_id = layout.next_ids["people_base"] + roles.volunteer
    users = make_accounts(options, big, volunteer_id)
    rounds = open_rounds(today, users["synth.ministry"])
    candidates = top_volunteers(big)
    token = issue_certificates(options, big, candidates, users, today)
    applications(rounds[Scheme.HEALTH_WELFARE], big, candidates, users["synth.clerk"], today)
    accounts = {}
    for username, role, anchor, _ in ACCOUNTS:
        user = users[username]
        entry = {"username": username}
        if anchor == "person":
            entry.update(person_id=user.person_id, entries=_entries(user.person_id))
        elif anchor == "unit":
            entry["unit_id"] = user.unit_id
        elif anchor in ("county", "sector"):
            entry["county_code"] = big.county_code
        if role in MFA_ROLES:
            entry["totp_secret"] = user.totp_secret
        accounts[MANIFEST_KEYS[username]] = entry
    members = db.session.scalar(select(func.count(func.distinct(Membership.person_id))).where(
        Membership.unit_id == big.id, Membership.is_current))
    hours_post = sorted(layout.next_ids["people_base"] + i for i in roles.hours_post)
    return Benchmark(accounts, {"id": big.id, "code": big.code, "members": members},
                     rounds[Scheme.HEALTH_WELFARE].id, token,
                     {"unit_id": big.id, "person_ids": hours_post, "field_code": big.field_code,
                      "free_from": roles.free_from.isoformat()})


def open_rounds(today: date, ministry: User) -> dict[str, AwardRound]:
    """This year's round of each scheme, opened by the ministry: hours up to the end of last month, the
    units' deadline 45 days ahead (docs/rules/awards.md#a4)."""
    cutoff = today.replace(day=1) - timedelta(days=1)
    return {scheme: create_round({"scheme": scheme, "year": today.year, "cutoff_on": cutoff,
                                  "unit_deadline": today + timedelta(days=45),
                                  "review_deadline": today + timedelta(days=75),
                                  "ministry_deadline": today + timedelta(days=105), "status": RoundStatus.OPEN},
                                 ministry)
            for scheme in SCHEMES}


def _entries(person_id: int) -> int:
    return int(db.session.scalar(select(func.sum(HourMonth.entries)).where(HourMonth.person_id == person_id)) or 0)


def make_accounts(options, big: Unit, volunteer_id: int) -> dict[str, User]:
    users = {}
    for username, role, anchor, name in ACCOUNTS:
        scope = {}
        if anchor == "person":
            scope["person_id"] = volunteer_id
            name = db.session.get(Person, volunteer_id).name
        elif anchor == "unit":
            scope["unit_id"] = big.id
        elif anchor == "county":
            scope["authority_id"] = db.session.scalar(select(Authority.id).where(
                Authority.kind == AuthorityKind.COUNTY, Authority.county_code == big.county_code))
        elif anchor == "sector":
            scope["authority_id"] = big.sector_authority_id
        elif anchor == "ministry":
            scope["authority_id"] = db.session.scalar(select(Authority.id).where(
                Authority.kind == AuthorityKind.MINISTRY))
        user = create_user(username, options.password, role, display_name=name, **scope)
        problems = policy_problems(options.password, role, username, password_context(user))
        if problems:
            raise PasswordRefused(f"{username}: {' '.join(problems)}")
        if role in MFA_ROLES:
            user.totp_secret, user.mfa_enrolled_at = totp_secret(options.seed, username), utcnow()
        users[username] = user
    db.session.flush()
    return users


def top_volunteers(big: Unit) -> list[Person]:
    """The unit's volunteers with the most hours there and a record book (awards need one)."""
    hours = func.sum(HourMonth.half_hours)
    ids = db.session.scalars(
        select(HourMonth.person_id).join(RecordBook, RecordBook.person_id == HourMonth.person_id)
        .where(HourMonth.unit_id == big.id).group_by(HourMonth.person_id)
        .order_by(hours.desc(), HourMonth.person_id).limit(CANDIDATES)).all()
    people = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(ids)))}
    return [people[i] for i in ids]


def issue_certificates(options, big: Unit, candidates: list[Person], users: dict, today: date) -> str | None:
    """Performance certificates the clerk prepares and the supervisor countersigns (docs/rules/
    certificates.md#p1, #p2), issued with tokens from the seed; the first one's token for /verify."""
    rng = random.Random(f"synth-documents-{options.seed}")
    clerk, supervisor = users["synth.clerk"], users["synth.supervisor"]
    tokens, reserved = [], set()
    for person in candidates:
        if len(tokens) >= options.documents:
            break
        try:
            req = create_request(PERFORMANCE, person, big, origin=RequestOrigin.UNIT, user=clerk, on=today)
            check_issuable(req)
        except WorkflowError:
            continue        # not a year and 150 hours yet, or a name the font cannot print
        prepared = prepare_document(PERFORMANCE, person, request_payload(req, supervisor), big,
                                    reserved_codes=reserved, issued_on=today)
        code = ""
        while not code or code in reserved:
            code = format_code("".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))
        reserved.add(code)
        prepared = replace(prepared, token=base64.urlsafe_b64encode(rng.randbytes(TOKEN_BYTES)).decode(),
                           short_code=code)
        document = store_document(prepared, render_document(prepared), issued_by=supervisor)
        mark_issued(req, document, supervisor)
        tokens.append(document.token)
    return tokens[0] if tokens else None


def applications(award_round, big: Unit, candidates: list[Person], clerk: User, today: date) -> int:
    """The unit applies for its volunteers who reached a tier of the open round (docs/rules/awards.md#a4)."""
    made = 0
    results = eligibility([p.id for p in candidates], award_round)
    for person_id in sorted(results):
        result = results[person_id]
        if made >= APPLICATIONS:
            break
        if result.eligible:
            apply(award_round, result, big, MERIT, clerk, today)
            made += 1
    return made
