"""The zygote of the kill -9 tests (tests/test_faults.py): one process that imports the portal, builds the
app and the data of every operation once, keeps a copy of the database and the upload folder, then for
each run restores that copy, forks a child that performs the operation as the web process does (a request
through the app, commit included) and sends the child SIGKILL after a random delay drawn from the
operation's measured duration. After each kill it reads what the database holds and classifies it:
"before" (nothing of the operation), "after" (all of it) or "between" (anything else, with the reason).

    python -m tests.fault_zygote DATABASE_URL WORKDIR     then one JSON command a line on stdin:
    {"op": "import", "runs": 50, "seed": 1}  ->  one JSON line on stdout:
    {"op": ..., "runs": 50, "killed": 41, "before": 20, "after": 30, "between": [], "duration": 0.4, ...}

Restoring: SQLite copies the file back (the engine disposed first, the -wal and -shm files removed);
PostgreSQL copies every table back from a snapshot schema in one transaction, with triggers off
(session_replication_role = replica: the append-only audit trigger and the summary triggers stay out
of it). A killed child's PostgreSQL backend is waited for (PGAPPNAME marks the child's connections), so
a commit the server received before the kill is counted, not missed.
"""
import io
import json
import os
import random
import shutil
import signal
import sqlite3
import sys
import time
import traceback
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from portal import create_app
from portal.auth.operations import create_user
from portal.demo.cli import national_id
from portal.documents.models import Document, DocumentFile
from portal.honor_cards import documents
from portal.honor_cards.models import HonorCard, HonorCardApplication
from portal.hours.cli import _differences as summary_differences
from portal.hours.models import HourEntry
from portal.imports.models import ImportBatch
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.platform.numbering import NumberSequence
from portal.registry.models import Membership, Person
from portal.registry.operations import authority_for, create_unit
from tests.conftest import PASSWORD, FreshRequestClient, base_config, reset_database
from tests.test_honor_cards import apply_for, make_ready

CHILD_APP_NAME = "portal-fault-child"
ROSTER = Path(__file__).resolve().parent / "fixtures" / "imports" / "roster.csv"
# Sizes: enough rows that a kill can land inside the writes, few enough that 50 runs stay cheap.
CLAIMS = 12
CARDS = 4
IMPORTED = 12


class Zygote:
    def __init__(self, url: str, workdir: Path):
        self.workdir = workdir
        self.app = create_app(base_config(workdir, url))
        self.app.test_client_class = FreshRequestClient
        self.context = self.app.app_context()
        self.context.push()
        self.sqlite = db.engine.dialect.name == "sqlite"
        self.uploads = Path(self.app.config["UPLOAD_DIR"])
        self.ids: dict = {}
        reset_database()
        self.build()
        self.snapshot()

    # --- the data of every operation, built once ---------------------------------------------------------

    def client(self, session_id: str):
        """A signed-in client (session id: User.get_id())."""
        client = self.app.test_client()
        with client.session_transaction() as session:
            session.update({"_user_id": session_id, "_fresh": True, "mfa": True})
        return client

    def build(self):
        rng = random.Random(18)
        unit = create_unit("TPE-F", "臺北故障協會", "TPE", "social", "private", name_en="Taipei Faults")
        county = authority_for("county", "TPE", None)
        clerk = create_user("clerk.f", PASSWORD, "unit_clerk", display_name="clerk", unit_id=unit.id)
        county_user = create_user("county.f", PASSWORD, "county", display_name="county", authority_id=county.id)
        db.session.commit()
        self.ids.update(clerk=clerk.get_id(), county=county_user.get_id(), unit=unit.id)

        # Claims: one volunteer's pending days of 2025, approved in one request.
        claimant = Person(name="申報志工", id_kind="national", id_number=national_id(rng, "F"),
                          birth_date=date(1970, 1, 1))
        claimant.memberships.append(Membership(unit=unit, field_code="social", joined_on=date(2020, 1, 1),
                                               status="active"))
        db.session.add(claimant)
        db.session.flush()
        for n in range(CLAIMS):
            day = date(2025, 1, 1) + timedelta(days=n)
            db.session.add(HourEntry(person_id=claimant.id, unit_id=unit.id, start_on=day, end_on=day,
                                     half_hours=4, field_code="social", status="pending", content="關懷訪視"))
        db.session.commit()
        self.ids["claimant"] = claimant.id

        # Honor cards: volunteers ready for a card, their applications submitted by the unit. The e-card's PDF is
        # a stand-in (WeasyPrint takes 70 ms a card and runs outside every transaction): what matters here is
        # that the document row and its stored PDF are written together.
        documents._renderer = lambda photo: lambda prepared: b"%PDF-1.4 " + prepared.short_code.encode()
        people = []
        for n in range(CARDS):
            person = Person(name=f"榮譽志工{n}", id_kind="national", id_number=national_id(rng, "M"),
                            birth_date=date(1960, 1, 1 + n))
            person.memberships.append(Membership(unit=unit, field_code="social", joined_on=date(2015, 1, 1),
                                                 status="active"))
            db.session.add(person)
            db.session.flush()
            make_ready(person, unit)
            people.append(person)
        assert apply_for(self.client(self.ids["clerk"]), *people).status_code == 302
        self.ids["applications"] = sorted(db.session.scalars(select(HonorCardApplication.id)))
        assert len(self.ids["applications"]) == CARDS

        # Import: the fixture's first volunteers previewed in the unit, waiting for the confirmation.
        lines = ROSTER.read_bytes().splitlines(True)[:IMPORTED + 1]
        response = self.client(self.ids["clerk"]).post("/imports/", data={"kind": "volunteers",
                                                                 "file": (io.BytesIO(b"".join(lines)), "roster.csv")},
                                              content_type="multipart/form-data")
        assert response.status_code == 302, response.status_code
        batch = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
        assert batch.status == "previewed" and not batch.error_count
        self.ids.update(batch=batch.id, batch_version=batch.version)
        self.ids["roster_ids"] = [line.split(",")[1] for line in ROSTER.read_text("utf-8-sig").splitlines()[1:IMPORTED + 1]]
        db.session.commit()
        self.people_before = db.session.scalar(select(func.count()).select_from(Person))

    # --- the operations, as the child performs them --------------------------------------------------------

    def perform(self, op: str):
        ids = self.ids
        if op == "import":
            client = self.client(ids["clerk"])
            response = client.post(f"/imports/{ids['batch']}/confirm", data={"version": ids["batch_version"]})
        elif op == "claims":
            client = self.client(ids["clerk"])
            entries = db.session.scalars(select(HourEntry.id).where(HourEntry.status == "pending")).all()
            db.session.remove()
            response = client.post("/hours/claims", data={"action": "approve", "entry_id": entries})
        elif op == "honor_cards":
            client = self.client(ids["county"])
            response = client.post("/honor-cards/review", data={"action": "approve",
                                                                "application_id": ids["applications"]})
        else:
            raise ValueError(op)
        return response.status_code

    # --- what the database holds after a run ---------------------------------------------------------------

    def state(self, op: str) -> tuple[str, str]:
        """("before" | "after" | "between", why) for the operation's objects, plus the global invariants."""
        try:
            problems = self.global_problems()
            state, why = getattr(self, f"state_{op}")()
            if problems:
                return "between", "; ".join(problems)
            return state, why
        finally:
            db.session.remove()

    def global_problems(self) -> list[str]:
        problems = []
        if summary_differences():
            problems.append("hour summaries differ from a recomputation")
        rows = db.session.execute(select(Document.id, DocumentFile.sha256, DocumentFile.size)
                                  .outerjoin(DocumentFile, DocumentFile.document_id == Document.id)).all()
        if any(sha is None or not size for _id, sha, size in rows):
            problems.append("a document without its PDF")
        return problems

    def state_import(self):
        batch = db.session.get(ImportBatch, self.ids["batch"])
        people = db.session.scalar(select(func.count()).select_from(Person)
                                   .where(Person.id_number.in_(self.ids["roster_ids"])))
        memberships = db.session.scalar(select(func.count()).select_from(Membership).join(Person)
                                        .where(Person.id_number.in_(self.ids["roster_ids"])))
        audits = db.session.scalar(select(func.count()).select_from(AuditLog)
                                   .where(AuditLog.action == "import.volunteers"))
        facts = f"batch {batch.status}, {people} people, {memberships} memberships, {audits} audit rows"
        if batch.status == "previewed" and people == memberships == audits == 0:
            return "before", facts
        if batch.status == "committed" and people == memberships == IMPORTED and audits == 1:
            return "after", facts
        return "between", facts

    def state_claims(self):
        statuses = db.session.scalars(select(HourEntry.status).where(HourEntry.person_id == self.ids["claimant"])
                                      ).all()
        decided = db.session.scalar(select(func.count()).select_from(AuditLog)
                                    .where(AuditLog.action.like("hours.claim%")))
        facts = f"{statuses.count('pending')} pending, {statuses.count('active')} active, {decided} audit rows"
        if statuses.count("pending") == CLAIMS and decided == 0:
            return "before", facts
        if statuses.count("active") == CLAIMS and decided == CLAIMS:
            return "after", facts
        return "between", facts

    def state_honor_cards(self):
        applications = db.session.scalars(select(HonorCardApplication.status)).all()
        cards = db.session.execute(select(HonorCard.number, HonorCard.document_id)).all()
        sequence = db.session.scalar(select(func.coalesce(func.sum(NumberSequence.last), 0))
                                     .where(NumberSequence.name == "honor_card"))
        audits = db.session.scalar(select(func.count()).select_from(AuditLog)
                                   .where(AuditLog.action == "honor_card.approve"))
        documents = db.session.scalar(select(func.count()).select_from(Document).where(Document.kind == "honor_card"))
        with_document = sum(1 for _n, document_id in cards if document_id is not None)
        facts = (f"{applications.count('approved')} approved, {len(cards)} cards ({with_document} with their PDF), "
                 f"sequence {sequence}, {audits} audit rows, {documents} documents")
        if documents != with_document:
            return "between", facts + ": a card document without its card"
        numbers = sorted(int(number.rsplit("-", 1)[1]) for number, _d in cards)
        if applications.count("submitted") == CARDS and not cards and sequence == audits == 0:
            return "before", facts
        if (applications.count("approved") == CARDS and numbers == list(range(1, CARDS + 1))
                and sequence == audits == CARDS):
            # The e-cards are issued after the approval's commit, in their own transactions; a card whose
            # PDF was not stored yet is issued by `flask honor-cards issue-documents` (no half state).
            return "after", facts
        return "between", facts

    # --- snapshot and restore ------------------------------------------------------------------------------

    def snapshot(self):
        db.session.remove()
        shutil.copytree(self.uploads, self.workdir / "uploads.snapshot")
        if self.sqlite:
            db.engine.dispose()
            raw = sqlite3.connect(db.engine.url.database, isolation_level=None)
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")   # everything in the main file
            raw.close()
            shutil.copyfile(db.engine.url.database, self.workdir / "database.snapshot")
            return
        self.tables = [t.name for t in db.metadata.sorted_tables]
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS fault_snapshot CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA fault_snapshot")
            for table in self.tables:
                conn.exec_driver_sql(f'CREATE TABLE fault_snapshot."{table}" AS SELECT * FROM "{table}"')
            sequences = conn.exec_driver_sql(
                "SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences "
                "WHERE schemaname = 'public' AND last_value IS NOT NULL").all()
        self.restore_sql = ";\n".join(
            ["SET LOCAL session_replication_role = replica"]
            + [f'DELETE FROM "{table}"' for table in reversed(self.tables)]
            + [f'INSERT INTO "{table}" SELECT * FROM fault_snapshot."{table}"' for table in self.tables]
            + [f"SELECT setval('{name}', {value})" for name, value in sequences])

    def restore(self):
        db.session.remove()
        shutil.rmtree(self.uploads)
        shutil.copytree(self.workdir / "uploads.snapshot", self.uploads)
        if self.sqlite:
            db.engine.dispose()
            path = Path(db.engine.url.database)
            for suffix in ("-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(self.workdir / "database.snapshot", path)
            return
        with db.engine.begin() as conn:
            conn.exec_driver_sql(self.restore_sql)     # one round trip
        db.engine.dispose()

    def wait_for_child_backends(self):
        """PostgreSQL: the killed child's backend ends its transaction (commit received, or rollback)."""
        if self.sqlite:
            return
        deadline = time.monotonic() + 30
        with db.engine.connect() as conn:
            while conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :n"),
                               {"n": CHILD_APP_NAME}).scalar():
                if time.monotonic() > deadline:
                    raise RuntimeError("the killed child's backend did not end")
                time.sleep(0.005)
                conn.rollback()

    # --- one run -------------------------------------------------------------------------------------------

    def fork(self, op: str, delay: float | None) -> tuple[bool, float]:
        """Run the operation in a child; SIGKILL it after `delay` seconds (None: let it finish).
        Returns (killed while running, seconds the child lived)."""
        self.restore()
        sys.stdout.flush()
        sys.stderr.flush()
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:  # the child: the web process
            code = 1
            try:
                os.environ["PGAPPNAME"] = CHILD_APP_NAME
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)
                db.engine.dispose(close=False)
                code = 0 if self.perform(op) in (200, 302) else 3
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        if delay is not None:
            time.sleep(delay)
            os.kill(pid, signal.SIGKILL)
        _pid, status = os.waitpid(pid, 0)
        lived = time.monotonic() - started
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) != 0:
            raise RuntimeError(f"{op}: the child failed by itself (exit {os.WEXITSTATUS(status)})")
        self.wait_for_child_backends()
        return os.WIFSIGNALED(status), lived

    def run(self, op: str, runs: int, seed: int) -> dict:
        began = time.monotonic()
        killed, lived = self.fork(op, None)
        state, why = self.state(op)
        if state != "after":
            raise RuntimeError(f"{op} did not complete without a kill: {why}")
        duration = lived
        rng = random.Random(seed)
        result = {"op": op, "runs": runs, "duration": round(duration, 3), "killed": 0, "before": 0, "after": 0,
                  "between": []}
        for _ in range(runs):
            delay = rng.uniform(0, duration * 1.1)
            killed, _lived = self.fork(op, delay)
            result["killed"] += killed
            state, why = self.state(op)
            if state == "between":
                result["between"].append(f"killed after {delay:.3f} s: {why}")
            else:
                result[state] += 1
        result["seconds"] = round(time.monotonic() - began, 1)
        return result


def main():
    url, workdir = sys.argv[1], Path(sys.argv[2])
    zygote = Zygote(url, workdir)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        try:
            answer = zygote.run(command["op"], command["runs"], command["seed"])
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails with it
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(answer, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
