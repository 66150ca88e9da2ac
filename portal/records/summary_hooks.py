"""Keeping the completeness summaries (summaries.py) in step with every write of the ORM session.

After each flush, the people whose facts changed (their person row, memberships, training, record book,
insurance enrolments or the policies of those, hour entries) are refreshed in the same transaction;
insert, update and delete statements on those tables run through the session are caught too (the people
they touch are found before the statement runs). Raw SQL and COPY are not seen: `flask completeness
rebuild` afterwards. Listening on the Session class, like platform/uploads.py, because every session of the
portal must keep the summary.
"""
import logging
from collections.abc import Iterable
from itertools import chain

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from portal.hours.models import HourEntry
from portal.insurance.models import InsuranceEnrolment, InsurancePolicy
from portal.platform.database import table_present
from portal.registry.models import Membership, Person
from portal.training.models import TrainingRecord

from . import serving
from .models import CompletenessDay, RecordBook
from .summaries import FULL, HOURS, refresh

log = logging.getLogger(__name__)

WATCHED = {Person.__table__.name: FULL, Membership.__table__.name: FULL, TrainingRecord.__table__.name: FULL,
           RecordBook.__table__.name: FULL, InsuranceEnrolment.__table__.name: FULL, HourEntry.__table__.name: HOURS}
POLICIES = InsurancePolicy.__table__.name
# The live headcount (serving.py) depends on people (birth date) and memberships only.
HEADCOUNT_TABLES = {Person.__table__.name, Membership.__table__.name}


def _present(connection) -> bool:
    """The tables exist (not before the migration that makes them; writes then go on without a summary)."""
    return table_present(connection, CompletenessDay.__tablename__,
                         "completeness summary tables missing: summaries not kept; rebuild after migrating")


def _headcount_kept(connection) -> bool:
    """The headcount tables exist (not before their migration; writes then go on without them)."""
    return table_present(connection, serving.HeadcountDay.__tablename__,
                         "headcount tables missing: the live headcount is not kept; rebuild after migrating")


def _refresh_headcount(session, people: set):
    if people and _headcount_kept(session.connection()):
        serving.refresh(session.connection(), people)


def _mark(marks: dict, person_ids: Iterable, kind: str):
    for person_id in person_ids:
        if person_id is not None and marks.get(person_id) != FULL:
            marks[person_id] = kind


def _people_of(obj) -> set:
    """The person the object belongs to, before and after the flush."""
    key = "id" if isinstance(obj, Person) else "person_id"
    history = inspect(obj).attrs[key].history
    return {getattr(obj, key), *history.deleted}


@event.listens_for(Session, "after_flush")
def _after_flush(session, _context):
    marks: dict[int, str] = {}
    policies = []
    counted = set()     # people whose headcount may change
    for obj in chain(session.new, session.dirty, session.deleted):
        table = getattr(type(obj), "__tablename__", None)
        if table in WATCHED and not (isinstance(obj, Person) and obj in session.new):
            _mark(marks, _people_of(obj), WATCHED[table])
            if table in HEADCOUNT_TABLES:
                counted |= _people_of(obj) - {None}
        elif table == POLICIES and obj not in session.new:
            policies.append(obj.id)
    if not (marks or policies) or session.info.get("completeness_suspended"):
        return
    connection = session.connection()
    if _present(connection):
        if policies:
            _mark(marks, connection.execute(select(InsuranceEnrolment.person_id).where(
                InsuranceEnrolment.policy_id.in_(policies)).distinct()).scalars(), FULL)
        refresh(connection, marks)
    # After the completeness refresh, which has locked every marked person in id order already.
    _refresh_headcount(session, counted)


def _statement_people(session, statement, parameters) -> tuple[set, str] | None:
    """The people an insert/update/delete statement on a watched table touches, found before it runs."""
    table = statement.table
    kind = WATCHED.get(table.name, FULL)
    key = table.c.id if table.name in (Person.__tablename__, POLICIES) else table.c.person_id
    if statement.is_insert:
        rows = parameters if isinstance(parameters, list) else [parameters or {}]
        found = {row.get(key.name) for row in rows}
        if None in found and table.name != Person.__tablename__:
            log.warning("an insert into %s without person ids bypassed the completeness summary", table.name)
        return ({f for f in found if f is not None} if table.name != Person.__tablename__ else set()), kind
    rows = parameters if isinstance(parameters, list) else []
    if rows and all("id" in row for row in rows):   # bulk update by primary key
        where = table.c.id.in_([row["id"] for row in rows])
    else:
        where = statement.whereclause if statement.whereclause is not None else True
    query = select(key).where(where)
    if table.name == POLICIES:
        query = select(InsuranceEnrolment.person_id).where(InsuranceEnrolment.policy_id.in_(query))
    return set(session.connection().execute(query.distinct()).scalars()), kind


@event.listens_for(Session, "do_orm_execute")
def _on_statement(state):
    if state.is_select:
        return None
    statement = state.statement
    table = getattr(statement, "table", None)
    name = getattr(table, "name", None)
    if (name not in WATCHED and name != POLICIES) or state.session.info.get("completeness_suspended"):
        return None
    completeness = _present(state.session.connection())
    counted = name in HEADCOUNT_TABLES and _headcount_kept(state.session.connection())
    if not (completeness or counted):
        return None
    found = _statement_people(state.session, statement, state.parameters)
    result = state.invoke_statement()
    people, kind = found
    marks: dict[int, str] = {}
    _mark(marks, people, kind)
    if marks and completeness:
        refresh(state.session.connection(), marks)
    if counted:
        _refresh_headcount(state.session, people)
    return result


