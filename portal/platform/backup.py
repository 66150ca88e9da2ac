"""Backup and restore of the database and the upload folder, as one archive (docs/backups.md).

    flask --app wsgi backup instance/backups/portal-2026-12-06.tar.gz
    flask --app wsgi restore instance/backups/portal-2026-12-06.tar.gz

The archive (tar, gzip) holds `manifest.json`, the database and `uploads/...`. The manifest lists the
SHA-256 of every member and the row count of every table, so a restore checks the archive before it
writes anything and checks the restored database and folder after. SQLite: sqlite3's online backup API
copies a consistent database while the portal runs. PostgreSQL: `pg_dump --format=custom` run on a
snapshot exported by a repeatable-read transaction, which also counts the rows of that same snapshot;
`pg_restore` brings it back. The database is copied before the uploads: a stored file is written before
its row commits, so every row of the copy finds its file.
"""
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from .extensions import db

FORMAT = 1
SQLITE_MEMBER, PG_MEMBER, MANIFEST = "database.sqlite3", "database.pgdump", "manifest.json"


class BackupError(Exception):
    pass


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def upload_checksums(root: Path) -> dict[str, str]:
    """Every file under the upload folder: its path (POSIX, relative) and SHA-256."""
    return {p.relative_to(root).as_posix(): sha256_of(p) for p in sorted(root.rglob("*")) if p.is_file()}


def _table_names() -> list[str]:
    return [t.name for t in db.metadata.sorted_tables]


def _counts(execute) -> dict[str, int]:
    return {name: execute(f'SELECT count(*) FROM "{name}"') for name in _table_names()}


def _libpq(url) -> tuple[str, dict]:
    """A libpq URL without the password (it goes in PGPASSWORD, not on a command line anyone can see)."""
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


# --- backup ---------------------------------------------------------------------------------------------

def backup(archive: Path) -> dict:
    """Write the archive; returns its manifest."""
    url, uploads = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]), Path(current_app.config["UPLOAD_DIR"])
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=archive.parent) as work:
        work = Path(work)
        if url.get_backend_name() == "sqlite":
            member, counts = SQLITE_MEMBER, _sqlite_copy(Path(url.database), work / SQLITE_MEMBER)
        else:
            member, counts = PG_MEMBER, _pg_dump(url, work / PG_MEMBER)
        manifest = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "database": {"member": member, "sha256": sha256_of(work / member), "tables": counts},
                    "uploads": upload_checksums(uploads)}
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(datetime.now(UTC).timestamp())
            tar.addfile(info, io.BytesIO(data))
            tar.add(work / member, member)
            for name in manifest["uploads"]:
                tar.add(uploads / name, f"uploads/{name}")
        os.replace(partial, archive)   # a backup cut short never looks like a finished one
    return manifest


def _sqlite_copy(source: Path, target: Path) -> dict[str, int]:
    """The online backup API: a consistent copy even while the portal writes."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        return _counts(lambda sql: dst.execute(sql).fetchone()[0])


def _pg_dump(url, target: Path) -> dict[str, int]:
    """pg_dump of the snapshot a repeatable-read transaction exported; the counts come from the same one."""
    libpq, env = _libpq(url)
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
        counts = _counts(lambda sql: conn.exec_driver_sql(sql).scalar())
        # The transaction stays open while pg_dump reads: the exported snapshot lives as long as it does.
        _run(["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}", f"--file={target}", libpq], env)
    return counts


def _run(command: list[str], env: dict):
    try:
        subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed (the PostgreSQL client tools are needed)") from exc
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"{command[0]} failed: {exc.stderr.strip()[-2000:]}") from exc


# --- restore --------------------------------------------------------------------------------------------

def restore(archive: Path, force: bool = False) -> dict:
    """Check the archive, then put the database and the uploads back; returns the manifest.
    Refuses a non-empty database or upload folder unless `force`."""
    url, uploads = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]), Path(current_app.config["UPLOAD_DIR"])
    with tempfile.TemporaryDirectory() as work, tarfile.open(archive, "r:gz") as tar:
        work = Path(work)
        tar.extractall(work, filter="data")   # no absolute paths, links or devices out of an archive
        manifest = json.loads((work / MANIFEST).read_text())
        if manifest.get("format") != FORMAT:
            raise BackupError(f"unknown archive format {manifest.get('format')!r}")
        _check(work, manifest)
        if not force:
            _refuse_if_in_use(url, uploads)
        member = work / manifest["database"]["member"]
        db.session.remove()
        db.engine.dispose()
        if url.get_backend_name() == "sqlite":
            if member.name != SQLITE_MEMBER:
                raise BackupError("this archive holds a PostgreSQL database; set DATABASE_URL to one")
            target = Path(url.database)
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(member, target.with_name(target.name + ".restoring"))
            os.replace(target.with_name(target.name + ".restoring"), target)
        else:
            if member.name != PG_MEMBER:
                raise BackupError("this archive holds a SQLite database; restore it without DATABASE_URL")
            libpq, env = _libpq(url)
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--exit-on-error", "--single-transaction",
                  f"--dbname={libpq}", str(member)], env)
        uploads.mkdir(parents=True, exist_ok=True)
        for name in manifest["uploads"]:
            (uploads / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(work / "uploads" / name, uploads / name)
    differences = verify(manifest)
    if differences:
        raise BackupError("the restored data differ from the archive: " + "; ".join(differences))
    return manifest


def _check(work: Path, manifest: dict):
    database = manifest["database"]
    if sha256_of(work / database["member"]) != database["sha256"]:
        raise BackupError("the database in the archive does not match its checksum")
    for name, digest in manifest["uploads"].items():
        path = work / "uploads" / name
        if not path.is_file() or sha256_of(path) != digest:
            raise BackupError(f"uploads/{name} is missing from the archive or does not match its checksum")


def _refuse_if_in_use(url, uploads: Path):
    if uploads.is_dir() and any(p.is_file() for p in uploads.rglob("*")):
        raise BackupError(f"the upload folder {uploads} is not empty (--force replaces what is there)")
    if url.get_backend_name() == "sqlite" and (not url.database or not Path(url.database).exists()):
        return
    with db.engine.connect() as conn:
        in_use = conn.execute(text("SELECT count(*) FROM users")).scalar() if "users" in _existing(conn) else 0
    if in_use:
        raise BackupError("the database already holds accounts (--force replaces it)")


def _existing(conn) -> set[str]:
    return set(inspect(conn).get_table_names())


def verify(manifest: dict) -> list[str]:
    """What differs between the manifest and the database and upload folder now (empty: the same)."""
    differences = []
    with db.engine.connect() as conn:
        counts = _counts(lambda sql: conn.exec_driver_sql(sql).scalar())
    for name, expected in manifest["database"]["tables"].items():
        if counts.get(name) != expected:
            differences.append(f"table {name}: {counts.get(name)} rows, the archive has {expected}")
    files = upload_checksums(Path(current_app.config["UPLOAD_DIR"]))
    for name, digest in manifest["uploads"].items():
        if files.get(name) != digest:
            differences.append(f"uploads/{name} " + ("is missing" if name not in files else "differs"))
    return differences


# --- commands (registered by database.init_app) ---------------------------------------------------------

@click.command("backup")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(archive: Path):
    """Write the database and the upload folder to ARCHIVE (.tar.gz) with a manifest of checksums."""
    try:
        manifest = backup(archive)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = sum(manifest["database"]["tables"].values())
    click.echo(f"{archive}: {rows} rows in {len(manifest['database']['tables'])} tables, "
               f"{len(manifest['uploads'])} uploaded files")


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="replace a database and upload folder that are not empty")
@with_appcontext
def restore_command(archive: Path, force: bool):
    """Restore the database and the upload folder from ARCHIVE, after checking every checksum."""
    try:
        manifest = restore(archive, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = sum(manifest["database"]["tables"].values())
    click.echo(f"restored {rows} rows and {len(manifest['uploads'])} files; every count and checksum matches")
