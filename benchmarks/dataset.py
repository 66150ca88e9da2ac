"""The synthetic data set of the page benchmark: a PostgreSQL database loaded once by `flask synth` and
reused while its manifest says it holds the wanted scale (the national set takes about 45 minutes)."""
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
SERVER_URL = "postgresql://postgres@127.0.0.1:5432"
DEFAULT_DATABASE = "portal_bench"
# One key for the load and the servers (signed sessions; the portal refuses to start on PostgreSQL without one).
SECRET_KEY = "benchmark-only-secret-key-not-for-production-0123456789"


@dataclass(frozen=True)
class Scale:
    volunteers: int
    units: int
    since: int
    seed: int = 2026


SCALES = {
    "small": Scale(5_000, 60, 2022),
    "medium": Scale(200_000, 2_000, 2019),      # 15 million entries (the measurements in issue 11 had 10 million)
    "national": Scale(1_200_000, 19_500, 2019),  # about 60 million entries (the issue asks at least 60 M)
}


@dataclass
class Dataset:
    url: str                 # libpq URL (postgresql://...)
    manifest: dict
    manifest_path: Path
    upload_dir: Path
    loaded_now: bool

    @property
    def portal_url(self) -> str:
        return self.url.replace("postgresql://", "postgresql+psycopg://", 1)


def wanted_scale(name: str) -> Scale:
    """The scale by name, each number overridable (BENCH_VOLUNTEERS, BENCH_UNITS, BENCH_SINCE, BENCH_SEED)."""
    if name not in SCALES:
        raise SystemExit(f"BENCH_SCALE must be one of {', '.join(SCALES)}, not {name!r}")
    base = SCALES[name]
    return Scale(*(int(os.environ.get(f"BENCH_{k.upper()}") or getattr(base, k))
                   for k in ("volunteers", "units", "since", "seed")))


def libpq(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix):]
    return url


def connect(url: str, **kwargs) -> psycopg.Connection:
    try:
        return psycopg.connect(libpq(url), connect_timeout=10, **kwargs)
    except psycopg.OperationalError as error:
        raise SystemExit(f"PostgreSQL is needed at {url} ({error}).") from None


def matches(manifest: dict, scale: Scale) -> bool:
    return all(manifest.get(k) == getattr(scale, k) for k in ("volunteers", "units", "since", "seed"))


def flask(args: list[str], env: dict):
    command = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", *args]
    print("$ flask --app wsgi " + " ".join(args), flush=True)
    subprocess.run(command, cwd=ROOT, env={**os.environ, **env}, check=True)


def prepare(scale_name: str) -> Dataset:
    """BENCH_DATABASE_URL (with its manifest) as it is, or our own database loaded for the scale if needed."""
    instance = ROOT / "instance" / "bench"
    instance.mkdir(parents=True, exist_ok=True)
    given = os.environ.get("BENCH_DATABASE_URL")
    if given:
        name = libpq(given).rsplit("/", 1)[-1].split("?")[0]
        manifest_path = Path(os.environ.get("BENCH_MANIFEST") or instance / f"{name}.json")
        if not manifest_path.exists():
            raise SystemExit(f"BENCH_DATABASE_URL needs the manifest of its synth run (BENCH_MANIFEST, or {manifest_path})")
        upload_dir = Path(os.environ.get("BENCH_UPLOAD_DIR") or instance / f"{name}-uploads")
        connect(given).close()
        return Dataset(libpq(given), json.loads(manifest_path.read_text()), manifest_path, upload_dir, False)

    scale = wanted_scale(scale_name)
    name = os.environ.get("BENCH_DATABASE") or (DEFAULT_DATABASE if scale_name == "small"
                                                 else f"{DEFAULT_DATABASE}_{scale_name}")
    url = f"{os.environ.get('BENCH_POSTGRES_URL', SERVER_URL).rstrip('/')}/{name}"
    manifest_path = instance / f"{name}.json"
    upload_dir = instance / f"{name}-uploads"
    env = {"DATABASE_URL": libpq(url), "UPLOAD_DIR": str(upload_dir), "SECRET_KEY": SECRET_KEY}
    with connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
        if exists and manifest and matches(manifest, scale) and holds(url, manifest):
            print(f"reusing database {name} ({manifest['volunteers']:,} volunteers, {manifest['units']:,} units, "
                  f"{manifest.get('hour_entries', 0):,} hour entries since {manifest['since']}, loaded in "
                  f"{manifest.get('seconds', 0) / 60:.0f} min); migrating it if new migrations came", flush=True)
            flask(["db", "upgrade"], env)
            return Dataset(url, manifest, manifest_path, upload_dir, False)
        if exists:
            print(f"database {name} holds another scale or an unfinished load: dropping it", flush=True)
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        manifest_path.unlink(missing_ok=True)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"loading {scale.volunteers:,} volunteers in {scale.units:,} units since {scale.since} into {name}",
          flush=True)
    started = time.monotonic()
    flask(["db", "upgrade"], env)
    unfinished = manifest_path.with_suffix(".loading.json")
    flask(["synth", "--volunteers", str(scale.volunteers), "--units", str(scale.units), "--since", str(scale.since),
           "--seed", str(scale.seed), "--manifest", str(unfinished)], env)
    # The manifest appears only once the load has finished, so an interrupted load is never reused.
    os.replace(unfinished, manifest_path)
    print(f"loaded in {(time.monotonic() - started) / 60:.1f} min", flush=True)
    return Dataset(url, json.loads(manifest_path.read_text()), manifest_path, upload_dir, True)


def holds(url: str, manifest: dict) -> bool:
    """A cheap check that the database is the one the manifest describes (not emptied or recreated since)."""
    try:
        with connect(url) as conn:
            units = conn.execute("SELECT count(*) FROM units").fetchone()[0]
            volunteer = conn.execute("SELECT 1 FROM users WHERE username = %s",
                                     (manifest["accounts"]["volunteer"]["username"],)).fetchone()
    except (psycopg.Error, KeyError):
        return False
    return units >= manifest["units"] and volunteer is not None


def free_entries(url: str, post: dict, limit: int = 50_000) -> list[tuple[int, date]]:
    """(person, day) pairs the hours POST may still enter: the manifest's people, from its free_from to today
    (Taipei), minus the days an entry of that unit already covers (earlier benchmark runs post too).
    Listed day by day, so that consecutive requests are for different people."""
    today = datetime.now(ZoneInfo("Asia/Taipei")).date()
    first = date.fromisoformat(post["free_from"])
    people = list(post["person_ids"])
    taken = set()
    with connect(url) as conn:
        for person, start, end in conn.execute(
                "SELECT person_id, start_on, end_on FROM hour_entries WHERE unit_id = %s AND person_id = ANY(%s) "
                "AND end_on >= %s", (post["unit_id"], people, first)):
            day = max(start, first)
            while day <= end:
                taken.add((person, day))
                day += timedelta(days=1)
    result, day = [], first
    while day <= today and len(result) < limit:
        result.extend((p, day) for p in people if (p, day) not in taken)
        day += timedelta(days=1)
    return result[:limit]


def machine(url: str) -> dict:
    meminfo = Path("/proc/meminfo").read_text().split()
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), "?")
    with connect(url) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    return {"cpus": os.cpu_count(), "cpu": cpu, "ram_gib": int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024 ** 2,
            "postgres": version.split()[0], "load": os.getloadavg()}
