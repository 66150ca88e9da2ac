"""Import pipeline benchmark: a MOHW 17-column hours file through parse → validate → commit.

    .venv/bin/python -m benchmarks.imports                       # 10,000 rows, 5 runs
    .venv/bin/python -m benchmarks.imports --rows 100000 --runs 3

Each run is a fresh process on a fresh SQLite file database holding the unit and its volunteers,
so peak memory (ru_maxrss) is that run's own. The table gives the median of the runs for each
phase, next to two baselines measured in the same runs: csv.reader over the same rows as CSV,
and python-calamine reading the xlsx alone. The generated files are cached under the system's
temporary directory (generating a 100,000-row xlsx with openpyxl takes about a minute).
"""
import argparse
import csv
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

CACHE = Path(tempfile.gettempdir()) / "portal-benchmarks"
HEADER = ["姓名", "身分證字號", "服務日期起", "服務日期訖", "服務項目", "服務內容", "服務時數-小時", "服務時數-分鐘",
          "受服務人次", "交通費", "誤餐費", "服務區域", "備註", "匯入動作", "序號", "國外參與服務人次",
          "國內參與服務人次"]
LETTERS = {"A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17}


def national_id(n: int) -> str:
    letter = "ABCDEFGH"[n % 8]
    body = ("1" if n % 2 else "2") + f"{n:07d}"
    code = LETTERS[letter]
    total = code // 10 + (code % 10) * 9 + sum(int(d) * w for d, w in zip(body, range(8, 0, -1), strict=True))
    return letter + body + str((10 - total % 10) % 10)


def volunteers(count: int) -> list[tuple[str, str]]:
    surnames, given = "陳林黃張李王吳劉蔡楊", ["淑芬", "志明", "美玲", "俊傑", "雅婷", "家豪", "怡君", "建宏"]
    return [(surnames[n % 10] + given[(n // 10) % 8] + str(n), national_id(n)) for n in range(count)]


def rows(count: int, people: int):
    """Single-day rows, each volunteer on different days (≤ 24 h a day, no overlaps), 2024–2025."""
    names = volunteers(people)
    start = date(2024, 1, 1)
    for i in range(count):
        name, number = names[i % people]
        day = start + timedelta(days=(i // people) * 7 % 700 + (i // people) // 100)
        roc = f"{day.year - 1911:03d}{day.month:02d}{day.day:02d}"
        yield [name, number, roc, roc, "0340", "0017", 1 + i % 8, 30 if i % 3 == 0 else 0, i % 40, 0, 0, "B", "",
               "A", "", 0, 0]


def make_files(count: int, people: int) -> tuple[Path, Path]:
    CACHE.mkdir(parents=True, exist_ok=True)
    xlsx, text = CACHE / f"mohw-{count}-{people}.xlsx", CACHE / f"mohw-{count}-{people}.csv"
    if not text.exists():
        with text.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(HEADER)
            writer.writerows(rows(count, people))
    if not xlsx.exists():
        from openpyxl import Workbook
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Sheet1")
        sheet.append(HEADER)
        for row in rows(count, people):
            sheet.append(row)
        workbook.save(xlsx)
    return xlsx, text


def child(xlsx: Path, text: Path, people: int) -> dict:
    """One measured run in this process."""
    import warnings
    warnings.simplefilter("ignore")
    from python_calamine import CalamineWorkbook

    from portal import create_app
    from portal.imports import registry
    from portal.imports.pipeline import Context
    from portal.imports.reading import read_table
    from portal.platform.extensions import db
    from portal.platform.timeutil import today_taipei
    from portal.registry.models import Membership, Person
    from portal.registry.operations import create_unit, seed_reference_data

    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    app = create_app({"TESTING": False, "SECRET_KEY": "benchmark", "UPLOAD_DIR": str(workdir / "uploads"),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.db'}",
                      "RATELIMIT_STORAGE_URI": "memory://"})
    timings = {}
    with app.app_context():
        db.create_all()
        seed_reference_data()
        unit = create_unit("BENCH", "效能測試協會", "TPE", "social", "private")
        db.session.add_all(Person(name=name, id_kind="national", id_number=number,
                                  memberships=[Membership(unit=unit, field_code="social", joined_on=date(2020, 1, 1))])
                           for name, number in volunteers(people))
        db.session.commit()
        data = xlsx.read_bytes()

        started = time.perf_counter()
        with text.open(encoding="utf-8", newline="") as fh:
            csv_rows = sum(1 for _row in csv.reader(fh)) - 1
        timings["baseline: csv.reader, same rows as CSV"] = time.perf_counter() - started

        started = time.perf_counter()
        sheet_rows = len(CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()) - 1
        timings["baseline: calamine parse alone"] = time.perf_counter() - started
        assert csv_rows == sheet_rows

        kind = registry.get("hours")
        ctx = Context(unit=unit, today=today_taipei(), max_rows=None, max_unpacked=2**30)
        started = time.perf_counter()
        table = read_table(data, kind.formats, max_unpacked=ctx.max_unpacked)
        timings["read: open workbook, find header (rows streamed)"] = time.perf_counter() - started

        started = time.perf_counter()
        plan = kind.validate(table, ctx)
        timings["validate every row incl. cell conversion"] = time.perf_counter() - started
        assert not plan.problems, plan.problems[:3]

        from portal.imports.models import ImportBatch
        started = time.perf_counter()
        batch = ImportBatch(kind="hours", scope_key=ctx.scope_key, unit_id=unit.id, sha256="0" * 64,
                            status="committed", committed=len(plan.items))
        db.session.add(batch)
        db.session.flush()
        kind.write(plan, ctx, batch)
        db.session.commit()
        timings["write + commit (one transaction)"] = time.perf_counter() - started
        timings["total: read + validate + commit"] = sum(list(timings.values())[2:])
        written = db.session.scalar(db.text("select count(*) from hour_entries"))
        assert written == sheet_rows, (written, sheet_rows)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB → MiB on Linux
    return {"timings": timings, "rows": sheet_rows, "peak_mib": peak}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--volunteers", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    xlsx, text = make_files(args.rows, args.volunteers)
    if args.child:
        print(json.dumps(child(xlsx, text, args.volunteers)))
        return
    results = []
    for _run in range(args.runs):
        out = subprocess.run([sys.executable, "-m", "benchmarks.imports", "--child", "--rows", str(args.rows),
                              "--volunteers", str(args.volunteers)], capture_output=True, text=True, check=True,
                             cwd=Path(__file__).resolve().parent.parent, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    phases = list(results[0]["timings"])
    print(f"MOHW 17-column xlsx, {results[0]['rows']:,} rows, {args.volunteers:,} volunteers, SQLite, "
          f"{args.runs} runs, {os.cpu_count()} CPUs")
    print(f"{'phase':<50} {'median s':>9} {'min s':>8} {'max s':>8} {'rows/s':>10}")
    for phase in phases:
        values = [r["timings"][phase] for r in results]
        median = statistics.median(values)
        print(f"{phase:<50} {median:>9.3f} {min(values):>8.3f} {max(values):>8.3f} "
              f"{results[0]['rows'] / median:>10,.0f}")
    peaks = [r["peak_mib"] for r in results]
    print(f"{'peak memory of a run (MiB)':<50} {statistics.median(peaks):>9.0f} {min(peaks):>8.0f} {max(peaks):>8.0f}")


if __name__ == "__main__":
    main()
