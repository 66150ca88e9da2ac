"""The volunteer's own record page with 2,000 hour entries: median server time against a baseline.

    .venv/bin/python -m benchmarks.my_record               # table on stdout
    .venv/bin/python -m benchmarks.my_record --entries 5000 --runs 50

A throw-away SQLite file in a temporary directory holds one volunteer serving in two units with
`--entries` hour entries over the years (a few corrected), verified training, an accepted photo,
an issued record book and insurance cover, plus 200 other volunteers. Each request goes through
the whole Flask stack with the test client (routing, session, access policy, queries, templates);
the baseline in the same run is the sign-in page (no database work) and the volunteer's record
book page. Target: the record page under 100 ms median.
"""
import argparse
import io
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 100


def build_app(tmp: Path):
    from portal import create_app
    app = create_app({
        "TESTING": False, "SECRET_KEY": "benchmark-secret-key-0123456789-abcdefghij",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}", "UPLOAD_DIR": str(tmp / "uploads"),
        "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://",
    })
    import logging
    logging.getLogger("portal").setLevel(logging.WARNING)
    return app


def seed(entries: int, others: int = 200):
    import json
    import random

    from PIL import Image

    from portal.auth.operations import create_user
    from portal.demo.cli import national_id
    from portal.hours.models import HourChange, HourEntry
    from portal.insurance.models import InsuranceEnrolment, InsurancePolicy
    from portal.platform import uploads
    from portal.platform.extensions import db
    from portal.records.models import RecordBook
    from portal.registry.models import Membership, Person
    from portal.registry.operations import authority_for, create_unit, seed_reference_data
    from portal.registry.photos import prepare_photo
    from portal.training.models import TrainingRecord

    db.create_all()
    seed_reference_data()
    a = create_unit("TPE-SW-01", "臺北市萬華區社區關懷協會", "TPE", "social", "private", name_en="Wanhua Care")
    b = create_unit("TPE-ED-02", "臺北市立龍山國民小學", "TPE", "education", "public", name_en="Longshan School")
    clerk = create_user("clerk.bench", "bench-password-2026", "unit_clerk", unit_id=a.id)
    rng = random.Random(5)
    person = Person(name="林美玲", name_latin="LIN, MEI-LING", id_kind="national", id_number=national_id(rng, "F"),
                    sex="F", birth_date=date(1958, 4, 5))
    person.memberships = [Membership(unit=a, field_code="social", joined_on=date(2012, 1, 1)),
                          Membership(unit=b, field_code="education", joined_on=date(2018, 9, 1))]
    db.session.add(person)
    for i in range(others):
        other = Person(name=f"志工{i:03d}", id_kind="national", id_number=national_id(rng, "MF"[i % 2]),
                       birth_date=date(1970, 1, 1))
        other.memberships = [Membership(unit=a, field_code="social", joined_on=date(2020, 1, 1))]
        db.session.add(other)
    db.session.flush()
    user = create_user("volunteer.bench", "bench-password-2026", "volunteer", person_id=person.id)
    for kind, field in (("basic", None), ("special", "social"), ("special", "education")):
        db.session.add(TrainingRecord(person_id=person.id, unit_id=a.id, kind=kind, field_code=field,
                                      status="verified", course_name="訓練", completed_on=date(2011, 12, 1)))
    image = io.BytesIO()
    Image.new("RGB", (500, 700), "#9bb7d4").save(image, "JPEG")
    stored = uploads.store(prepare_photo("photo.jpg", image.getvalue()), "person_photo", None)
    person.photo_file_id, person.photo_status = stored.id, "accepted"
    county = authority_for("county", "TPE", None)
    db.session.add(RecordBook(person_id=person.id, number="TPE-101-000001", kind="first", issued_on=date(2012, 2, 1),
                              unit_id=a.id, authority_id=county.id))
    today = date.today()
    policy = InsurancePolicy(unit_id=a.id, insurer_code="first", insurer_name="第一產物保險", policy_no="FI-1",
                             starts_on=date(today.year, 1, 1), ends_on=date(today.year, 12, 31))
    db.session.add_all([policy, InsuranceEnrolment(policy=policy, person_id=person.id, unit_id=a.id,
                                                   starts_on=policy.starts_on, ends_on=policy.ends_on)])
    rows, day = [], date(2012, 1, 2)
    for i in range(entries):
        unit = a if i % 5 else b
        rows.append(HourEntry(person_id=person.id, unit_id=unit.id, start_on=day, end_on=day, half_hours=4 + i % 5,
                              field_code=unit.field_code, content="關懷訪視" if unit is a else "課後陪讀",
                              entered_by_id=clerk.id))
        day += timedelta(days=2)
    db.session.add_all(rows)
    db.session.flush()
    for entry in rows[-40:]:
        db.session.add(HourChange(entry_id=entry.id, action="correct", actor_id=clerk.id, reason="時數誤植",
                                  before=json.dumps({"half_hours": entry.half_hours + 1}),
                                  after=json.dumps({"half_hours": entry.half_hours})))
    db.session.commit()
    return user, person


def timed(client, url, runs):
    """(median wall ms, median CPU ms, status) of `runs` GETs after two warm-up requests."""
    for _ in range(2):
        status = client.get(url).status_code
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.thread_time()
        response = client.get(url)
        response.get_data()
        wall.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000, status


def count_queries(app, client, url) -> int:
    from sqlalchemy import event

    from portal.platform.extensions import db
    counter = {"n": 0}

    def listener(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            counter["n"] += 1
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return counter["n"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp))
        with app.app_context():
            user, person = seed(args.entries)
            user_id, session_token = user.id, user.session_token
            from portal.platform.extensions import db
            from portal.records.models import RecordBook
            book_id = db.session.scalar(db.select(RecordBook.id))
        anonymous = app.test_client()
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = f"{user_id}:{session_token}", True
        pages = [
            ("baseline: sign-in page (anonymous, no queries)", anonymous, "/login"),
            ("baseline: record book page (all entries by year)", client, f"/records/books/{book_id}"),
            (f"my record page ({args.entries:,} entries)", client, "/"),
            ("my record, entries page 2 (htmx fragment)", client, "/?page=2"),
        ]
        print(f"My record page, SQLite file database, {args.runs} requests each after 2 warm-ups "
              f"(Flask test client, whole stack)")
        print(f"{'page':52} {'median ms':>10} {'CPU ms':>8} {'queries':>8} {'status':>7}")
        results = {}
        for label, c, url in pages:
            headers = {"HX-Request": "true"} if "htmx" in label else {}
            if headers:
                c.environ_base["HTTP_HX_REQUEST"] = "true"
            wall, cpu, status = timed(c, url, args.runs)
            queries = count_queries(app, c, url)
            c.environ_base.pop("HTTP_HX_REQUEST", None)
            results[label] = wall
            print(f"{label:52} {wall:10.1f} {cpu:8.1f} {queries:8d} {status:7d}")
        with app.app_context():
            start = time.perf_counter()
            first = client.get(f"/records/books/{book_id}/pdf")
            first_ms = (time.perf_counter() - start) * 1000
            again, again_cpu, _status = timed(client, f"/records/books/{book_id}/pdf", 5)
        print(f"{'record book PDF, first print (renders, 1 run)':52} {first_ms:10.1f} {'':>8} {'':>8} "
              f"{first.status_code:7d}   {len(first.get_data()) // 1024} KiB")
        print(f"{'record book PDF, record unchanged (stored copy)':52} {again:10.1f} {again_cpu:8.1f} {'':>8} "
              f"{first.status_code:7d}")
        mine = results[pages[2][0]]
        verdict = "meets" if mine < TARGET_MS else "MISSES"
        print(f"target: my record page < {TARGET_MS} ms median -> {mine:.1f} ms ({verdict} the target); "
              f"{mine / results[pages[0][0]]:.1f}x the sign-in page")


if __name__ == "__main__":
    main()
