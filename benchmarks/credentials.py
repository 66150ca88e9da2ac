"""Credential benchmark (issue 16): what signing adds to issuing a document, and serving a status list of one
million entries, each beside a floor measured in the same run.

    .venv/bin/python -m benchmarks.credentials               # table on stdout; exit status 1 if a target is missed
    .venv/bin/python -m benchmarks.credentials --runs 50

Runs against a throw-away SQLite file in a temporary directory (the key set too); nothing outside it is written.
Targets (docs/rules/credentials.md#vc9): signing adds at most 50 ms to issuing a document; the status list of
1,048,576 entries is served in at most 50 ms.
"""
import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 50
MILLION = 1 << 20       # 1,048,576 entries: the list of a county-sized issuer


def timed(fn, runs: int) -> float:
    """Median wall milliseconds of `runs` calls after one warm-up."""
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def build_app(tmp: Path):
    from portal import create_app
    app = create_app({
        "TESTING": False, "SECRET_KEY": "benchmark-secret-key-0123456789-abcdefghij",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}", "UPLOAD_DIR": str(tmp / "uploads"),
        "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://",
        "PUBLIC_BASE_URL": "https://portal.example.org", "CREDENTIAL_KEYS_FILE": str(tmp / "keys.json"),
    })
    logging.getLogger("portal").setLevel(logging.WARNING)
    return app


def seed(count: int):
    """A unit and `count` volunteers, so that each measured issue is a first issue (nothing superseded)."""
    from portal.demo.cli import national_id
    from portal.platform.extensions import db
    from portal.registry.models import Person
    from portal.registry.operations import create_unit, seed_reference_data
    db.create_all()
    seed_reference_data()
    unit = create_unit("TPE-DA-01", "臺北市大安區志願服務協會", "TPE", "social", "private",
                       name_en="Taipei Da'an Volunteer Association")
    rng, numbers = random.Random(3), set()
    while len(numbers) < count:
        numbers.add(national_id(rng, "MF"[len(numbers) % 2]))
    people = [Person(name=f"林志工{i:03d}", id_kind="national", id_number=number, name_latin=f"LIN, VOLUNTEER-{i:03d}",
                     birth_date=date(1980, 5, 17)) for i, number in enumerate(sorted(numbers))]
    db.session.add_all(people)
    db.session.commit()
    return unit, people


def million_list(client, signing_key) -> str:
    """A status list of 2^20 entries, one in a hundred set, stored as the portal stores it; its URL path."""
    from sqlalchemy import insert

    from portal.credentials import bitstring, statuslists
    from portal.credentials.models import StatusList
    from portal.platform.extensions import db
    from portal.platform.timeutil import utcnow
    rng = random.Random(5)
    raw = bytearray(MILLION // 8)
    for index in rng.sample(range(MILLION), MILLION // 100):
        raw[index // 8] |= 0x80 >> (index % 8)
    encoded, key = bitstring.encode(bytes(raw)), "authority-999"
    url = statuslists.list_url("https://portal.example.org", key)
    db.session.execute(insert(StatusList).values(
        issuer_key=key, size=MILLION, next_index=MILLION, encoded=encoded, updated_at=utcnow(),
        credential=statuslists.signed_list(url, "臺北市政府 / Taipei City Government", encoded, signing_key)))
    db.session.commit()
    return f"/credentials/status/{key}"


def run(args) -> list[tuple[str, float, float | None]]:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from portal.credentials import hooks, keys, proof, statuslists
    from portal.credentials.models import Credential, StatusList
    from portal.credentials.verify import check
    from portal.documents.operations import issue_document
    from portal.platform.extensions import db

    tmp = Path(tempfile.mkdtemp(prefix="vc-bench-"))
    app = build_app(tmp)
    rows = []
    with app.app_context():
        unit, people = seed(2 * args.runs + 2)
        waiting = iter(people)

        def issue(person=None):
            person = person or next(waiting)
            issue_document("performance", person, {"name": person.name, "name_latin": person.name_latin,
                                                   "total_half_hours": 1219},
                           unit, render=lambda p: b"%PDF-1.4 stand-in")
            db.session.commit()

        event.remove(Session, "after_flush", hooks.after_flush)
        floor_issue = timed(issue, args.runs)
        hooks.install()
        with_credential = timed(issue, args.runs)
        rows.append(("floor: issue a document, no credential (PDF stand-in)", floor_issue, None))
        rows.append(("issue a document with its credential", with_credential, None))
        rows.append(("  signing adds (difference)", with_credential - floor_issue, TARGET_MS))
        rows.append(("reissue (the old one superseded: its list signed again)",
                     timed(lambda: issue(people[0]), args.runs), None))
        signing_key = keys.current_key()
        stored = db.session.query(Credential).order_by(Credential.id.desc()).first().credential
        unsigned = {k: v for k, v in stored.items() if k != "proof"}
        rows.append(("  sign alone (RDFC + Ed25519)", timed(
            lambda: proof.sign(unsigned, signing_key.private, keys.method_id(signing_key)), args.runs), None))
        rows.append(("check a credential (verify.check)", timed(lambda: check(stored), args.runs), None))

        client = app.test_client()
        path = million_list(client, signing_key)
        floor_get = timed(lambda: client.get("/.well-known/jwks.json"), args.runs)
        size = len(client.get(path).data)
        rows.append(("floor: GET /.well-known/jwks.json", floor_get, None))
        rows.append((f"GET status list, {MILLION:,} entries ({size:,} bytes)", timed(lambda: client.get(path), args.runs),
                     TARGET_MS))
        row_id = db.session.query(StatusList.id).filter_by(issuer_key="authority-999").scalar()
        counter = iter(range(10, MILLION, 7919))

        def revoke_one():
            with db.engine.begin() as connection:
                statuslists.set_bits(connection, row_id, [next(counter)], signing_key)
        rows.append(("  set one bit of it and sign it again (revocation)", timed(revoke_one, args.runs), None))
    return rows


def print_table(rows, runs: int) -> bool:
    load = os.getloadavg()[0]
    print(f"Credentials on this machine ({os.cpu_count()} CPUs, load average {load:.1f}), "
          f"median of {runs} runs after one warm-up, SQLite file")
    print()
    print(f"| {'measurement':62} | {'ms':>7} | {'target':>7} | {'':4} |")
    print(f"|{'-' * 64}|{'-' * 9}|{'-' * 9}|{'-' * 6}|")
    ok = True
    for label, value, target in rows:
        verdict = "" if target is None else ("ok" if value <= target else "MISS")
        ok = ok and verdict != "MISS"
        print(f"| {label:62} | {value:7.1f} | {'' if target is None else f'≤ {target}':>7} | {verdict:4} |")
    print()
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    return 0 if print_table(run(args), args.runs) else 1


if __name__ == "__main__":
    sys.exit(main())
