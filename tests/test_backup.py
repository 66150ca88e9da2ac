"""`flask backup` / `flask restore` (docs/backups.md): an archive of the database and the upload folder,
restored into a fresh database and folder, gives back every row of every table and every file, on SQLite
(online backup API) and PostgreSQL (pg_dump / pg_restore). A damaged archive or a database in use is
refused before anything is written."""
import hashlib
import io
import json
import random
import tarfile
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal import create_app
from portal.auth.operations import create_user
from portal.demo.cli import national_id
from portal.platform import audit
from portal.platform.extensions import db
from portal.platform.filecheck import check_file
from portal.platform.uploads import store
from portal.registry.models import Membership, Person
from portal.registry.operations import create_unit
from tests import security_report
from tests.conftest import PASSWORD, base_config, pg_database, reset_database

pytestmark = pytest.mark.backup


def png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 50), colour).save(out, "PNG")
    return out.getvalue()


def make_app(backend: str, place: Path, name: str):
    uri = f"sqlite:///{place / f'{name}.db'}" if backend == "sqlite" else pg_database(f"backup_{name}")
    return create_app(base_config(place / name, uri))


def everything(app) -> tuple[dict, dict]:
    """Row count of every table, and the SHA-256 of every file under the upload folder."""
    with app.app_context():
        counts = {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}
        db.session.remove()
        root = Path(app.config["UPLOAD_DIR"])
        files = {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                 for p in root.rglob("*") if p.is_file()}
    return counts, files


def test_backup_then_restore_into_a_fresh_database_and_folder_gives_back_every_row_and_file(backend, tmp_path):
    source = make_app(backend, tmp_path, "source")
    with source.app_context():
        reset_database()
        rng = random.Random(8)
        unit = create_unit("TPE-K", "臺北備份協會", "TPE", "social", "private", name_en="Taipei Backup")
        user = create_user("clerk.k", PASSWORD, "unit_clerk", display_name="clerk", unit_id=unit.id)
        for n, colour in enumerate(("#c8a165", "#3a7", "#17e")):
            person = Person(name=f"備份志工{n}", id_kind="national", id_number=national_id(rng, "F"),
                            birth_date=date(1970, 1, 1 + n))
            person.memberships.append(Membership(unit=unit, field_code="social", joined_on=date(2020, 1, 1),
                                                 status="active"))
            db.session.add(person)
            db.session.flush()
            stored = store(check_file(f"photo{n}.png", png(colour)), "person_photo", user.id)
            person.photo_file_id, person.photo_status = stored.id, "accepted"
            audit.record("person.create", person)
        db.session.commit()
        db.session.remove()
    counts, files = everything(source)
    assert counts["people"] == 3 and counts["audit_log"] >= 3 and len(files) >= 3

    archive = tmp_path / "backups" / "portal.tar.gz"
    result = source.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert "3 uploaded files" in result.output or f"{len(files)} uploaded files" in result.output
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert manifest["database"]["tables"] == counts and manifest["uploads"] == files

    target = make_app(backend, tmp_path, "target")   # a new, empty database and upload folder
    result = target.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert everything(target) == (counts, files)
    # The restored portal works: its data are readable through the models.
    with target.app_context():
        assert sorted(db.session.scalars(select(Person.name))) == ["備份志工0", "備份志工1", "備份志工2"]
        db.session.remove()

    # Restoring over a database in use is refused unless asked for.
    again = target.test_cli_runner().invoke(args=["restore", str(archive)])
    assert again.exit_code != 0 and "not empty" in again.output
    assert target.test_cli_runner().invoke(args=["restore", str(archive), "--force"]).exit_code == 0
    assert everything(target) == (counts, files)
    security_report.record("backup round trips (every row count and file checksum equal)", 1)
    for app in (source, target):
        with app.app_context():
            db.engine.dispose()


def test_a_damaged_archive_is_refused_before_anything_is_written(tmp_path):
    source = make_app("sqlite", tmp_path, "source")
    with source.app_context():
        reset_database()
        store(check_file("photo.png", png("#c8a165")), "person_photo", None)
        db.session.commit()
        db.session.remove()
    archive = tmp_path / "portal.tar.gz"
    assert source.test_cli_runner().invoke(args=["backup", str(archive)]).exit_code == 0
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as tar, tarfile.open(damaged, "w:gz") as out:
        for member in tar.getmembers():
            data = tar.extractfile(member).read()
            if member.name.startswith("uploads/"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            out.addfile(member, io.BytesIO(data))
    target = make_app("sqlite", tmp_path, "target")
    result = target.test_cli_runner().invoke(args=["restore", str(damaged)])
    assert result.exit_code != 0 and "does not match its checksum" in result.output
    assert not (tmp_path / "target.db").exists() and not any(Path(target.config["UPLOAD_DIR"]).rglob("*.png"))
    with source.app_context():
        db.engine.dispose()
