"""`make bench`: the page benchmark on PostgreSQL (benchmarks/national.py), then the SQLite benchmarks of the
import pipeline, the certificate PDFs and the My record page, each printing its own table.

BENCH_ONLY picks some of them: BENCH_ONLY=web (the page benchmark alone), BENCH_ONLY=imports,my_record, ...
BENCH_ONLY=credentials: signing a document's credential and serving a status list of 1 M entries (benchmarks/credentials.py).
BENCH_ONLY=api: the API's hour batches and status lookups on the page benchmark's data set (benchmarks/api.py).
"""
import os
import sys

from . import api, certificates, credentials, imports, my_record, national

PARTS = ("web", "imports", "certificates", "my_record", "api", "credentials")


def run_imports():
    sys.argv = [sys.argv[0], "--rows", "10000", "--runs", "5"]
    imports.main()


def run_certificates():
    sys.argv = [sys.argv[0], "--runs", "20", "--batch", "100"]
    try:
        certificates.main()
    except SystemExit as done:
        if done.code:
            raise


def run_my_record():
    sys.argv = [sys.argv[0], "--entries", "2000", "--runs", "30"]
    my_record.main()


def run_credentials():
    sys.argv = [sys.argv[0], "--runs", "30"]
    credentials.main()


def main() -> int:
    wanted = [p.strip() for p in (os.environ.get("BENCH_ONLY") or ",".join(PARTS)).split(",") if p.strip()]
    unknown = set(wanted) - set(PARTS)
    if unknown:
        raise SystemExit(f"BENCH_ONLY: unknown {', '.join(sorted(unknown))} (choose from {', '.join(PARTS)})")
    status = 0
    if "web" in wanted:
        status = national.main()
    for name, run in (("imports", run_imports), ("certificates", run_certificates), ("my_record", run_my_record),
                      ("credentials", run_credentials)):
        if name in wanted:
            print(flush=True)
            run()
    if "api" in wanted:
        print(flush=True)
        status = api.main() or status
    return status


if __name__ == "__main__":
    sys.exit(main())
