"""memberships.sort_name always equals the person's name (registry.sort_names), whatever sequence of writes
came before: new people and memberships through the ORM and through Core, renames both ways, memberships
moved to another person, a wrong copy written on purpose; rebuild repairs a copy written with the triggers
off; the roster's order reads it."""
from datetime import date, timedelta
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select, update

from portal.platform.extensions import db
from portal.registry import sort_names
from portal.registry.models import Membership, Person

NAMES = ("陳大文", "林小美", "王", "Ａ李", "張三豐", "")
SERIAL = count(1)     # distinct join days and ID numbers across examples (the people and memberships stay)


def day():
    return date(1900, 1, 1) + timedelta(days=next(SERIAL))


def copies():
    """(membership id, sort_name, person's name) of every membership."""
    return db.session.execute(select(Membership.id, Membership.sort_name, Person.name)
                              .join(Person, Person.id == Membership.person_id)).all()


def assert_equal():
    db.session.expire_all()
    assert all(sort_name == name for _id, sort_name, name in copies())
    assert sort_names.differences(db.session.connection()) == 0


@pytest.fixture
def cast(app, make_unit, make_person):
    units = [make_unit("TPE", "social"), make_unit("KHH", "education")]
    people = [make_person(units[:1 + i % 2], name=f"志工{i}") for i in range(3)]
    return [u.id for u in units], [p.id for p in people]


steps = st.lists(st.tuples(
    st.sampled_from(["rename", "core_rename", "bulk_rename", "join", "core_join", "move", "tamper", "new_person"]),
    st.integers(0, 20), st.sampled_from(NAMES)), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps)
def test_sort_name_equals_the_name_after_any_sequence_of_writes(cast, sequence):
    unit_ids, person_ids = cast
    db.session.rollback()
    people = list(person_ids)
    for op, pick, name in sequence:
        pid = people[pick % len(people)]
        if op == "rename":
            db.session.get(Person, pid).name = name + str(pick)
        elif op == "core_rename":
            db.session.execute(update(Person).where(Person.id == pid).values(name=name))
        elif op == "bulk_rename":       # one statement renaming several people
            db.session.execute(update(Person).where(Person.id.in_(people[:2])).values(name=Person.name + name))
        elif op == "join":
            db.session.add(Membership(person_id=pid, unit_id=unit_ids[pick % 2], field_code="social",
                                      joined_on=day(),
                                      status="active"))
        elif op == "core_join":          # an import writes memberships without the ORM, sort_name left out
            db.session.execute(insert(Membership).values(
                person_id=pid, unit_id=unit_ids[pick % 2], field_code="education",
                joined_on=day(), status="active", version=1))
        elif op == "move":               # a merge of two records moves a membership to the other person
            other = people[(pick + 1) % len(people)]
            first = db.session.scalar(select(Membership.id).where(Membership.person_id == pid).limit(1))
            if first is not None:
                db.session.execute(update(Membership).where(Membership.id == first).values(
                    person_id=other, joined_on=day()))
        elif op == "tamper":             # a wrong copy written on purpose is corrected at once
            db.session.execute(update(Membership).where(Membership.person_id == pid).values(sort_name="wrong"))
        else:
            person = Person(name=name or "無名", id_kind="passport", id_number=f"P{next(SERIAL):08d}")
            db.session.add(person)
            db.session.flush()
            people.append(person.id)
        db.session.flush()
        assert_equal()
    db.session.commit()
    assert_equal()


def test_rebuild_repairs_copies_written_with_the_triggers_off(app, backend, make_unit, make_person):
    if backend != "postgresql":
        pytest.skip("suspended() switches triggers off on PostgreSQL only")
    unit = make_unit()
    person = make_person([unit], name="陳大文")
    connection = db.session.connection()
    with sort_names.suspended(connection):
        connection.exec_driver_sql("UPDATE memberships SET sort_name = 'x'")
    assert sort_names.differences(connection) == 1
    assert sort_names.rebuild(connection) == 1
    assert sort_names.differences(connection) == 0
    db.session.commit()
    assert db.session.scalar(select(Membership.sort_name).where(Membership.person_id == person.id)) == "陳大文"


def test_the_check_command_finds_and_the_rebuild_repairs_a_wrong_copy(app, backend, make_unit, make_person, runner):
    unit = make_unit()
    make_person([unit], name="陳大文")
    connection = db.session.connection()
    for statement in sort_names.drop_statements(backend):
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql("UPDATE memberships SET sort_name = 'x'")
    for statement in sort_names.trigger_statements(backend):
        connection.exec_driver_sql(statement)
    db.session.commit()
    result = runner.invoke(args=["summaries", "rebuild", "--check"])
    assert result.exit_code == 1 and "1 memberships" in result.output
    assert runner.invoke(args=["summaries", "rebuild"]).exit_code == 0
    assert runner.invoke(args=["summaries", "rebuild", "--check"]).exit_code == 0
