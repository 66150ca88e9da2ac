"""Everything the portal holds about one volunteer, as one zip of JSON and CSV (docs/rules/my-data.md#md1).

Which rows: the person's own row; every row of every table with a foreign key to the people table, found from
the models' metadata (so a table added later is in the download without anyone remembering it here); and the
rows that belong to the person through one of those (CHILDREN: an entry's corrections and voids, a training
record's files, the notifications of the person's account). Nothing else: no other person's row, no summaries
(they are sums of the entries already in the file). Secrets (password and code hashes, the two-step key, the
session token, a document's verification token) are left out; so are stored file bytes (the PDFs and the photo
download from their own pages).

How: each table is read through a server-side cursor and written straight into its zip entries (one JSON, one
CSV) in a temporary file, so memory stays flat whatever the number of entries. Times are in Taipei time with
their offset; CSV cells are neutralised for spreadsheets as every export of the portal is.
"""
import csv
import hashlib
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import LargeBinary, Table, or_, select

from portal.platform.exports import CHUNK, Spool, neutralise
from portal.platform.extensions import db
from portal.platform.timeutil import TAIPEI, utcnow

PEOPLE = "people"
# Never written into the download: credentials and bearer tokens (docs/rules/my-data.md#md1).
SECRETS = {
    "users": {"password_hash", "session_token", "password_history", "totp_secret", "totp_last_step",
              "known_devices"},
    "one_time_codes": {"code_hash", "link_hash"},
    "documents": {"token"},
}
# Tables whose rows are the person's through a row of theirs: (table, [(column, parent table), ...]).
CHILDREN = (
    ("hour_changes", [("entry_id", "hour_entries")]),
    ("training_files", [("record_id", "training_records"), ("case_id", "training_lost_cases")]),
    ("notifications", [("user_id", "users")]),
    ("notification_preferences", [("user_id", "users")]),
)
BATCH = 1000

README = """個人資料匯出 · Export of my data

本壓縮檔含志願服務資訊整合平臺所存有關您的全部資料：json/ 與 csv/ 兩種格式內容相同，每個檔案是一個資料表。
時間為臺北時間（+08:00）。密碼與驗證碼雜湊、兩步驟登入金鑰等機密不匯出；證明文件 PDF 與照片請在各自頁面下載。
manifest.json 列出每個資料表的筆數。

This archive holds everything the volunteer-service portal stores about you: json/ and csv/ carry the same
rows, one file per table. Times are Taipei time (+08:00). Secrets (password and code hashes, the two-step
sign-in key) are not exported; document PDFs and your photo download from their own pages.
manifest.json lists the number of rows of each table.
"""


@dataclass(frozen=True)
class Part:
    """One table of the download and the condition that picks the person's rows of it."""
    name: str
    table: Table
    where: object


def _people_columns(table: Table) -> list:
    return [c for c in table.columns if any(fk.column.table.name == PEOPLE for fk in c.foreign_keys)]


def person_tables() -> list[Table]:
    """Every table with a foreign key to the people table, in the metadata's order."""
    return [t for t in db.metadata.sorted_tables if t.name != PEOPLE and _people_columns(t)]


def parts(person_id: int) -> list[Part]:
    tables = db.metadata.tables
    people = tables[PEOPLE]
    found = [Part(PEOPLE, people, people.c.id == person_id)]
    own = {}
    for table in person_tables():
        own[table.name] = or_(*[c == person_id for c in _people_columns(table)])
        found.append(Part(table.name, table, own[table.name]))
    for name, links in CHILDREN:
        table = tables[name]
        found.append(Part(name, table, or_(*[table.c[column].in_(select(tables[parent].c.id).where(own[parent]))
                                             for column, parent in links])))
    return found


def columns_of(part: Part) -> list:
    secret = SECRETS.get(part.name, set())
    return [c for c in part.table.columns if c.name not in secret and not isinstance(c.type, LargeBinary)]


def plain(value):
    """A stored value as JSON carries it: stored naive-UTC times in Taipei time with the offset."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc).astimezone(TAIPEI).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return None
    return value


def _rows(connection, part: Part, columns: list):
    order = list(part.table.primary_key.columns) or columns[:1]
    statement = select(*columns).where(part.where).order_by(*order).execution_options(yield_per=BATCH)
    for row in connection.execute(statement):
        yield [plain(v) for v in row]


def _csv_cell(value):
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return neutralise(value)


def _write_part(archive: zipfile.ZipFile, connection, part: Part) -> int:
    """The part's rows into json/<name>.json and csv/<name>.csv; returns the number of rows."""
    columns = columns_of(part)
    names = [c.name for c in columns]
    count = 0
    with archive.open(f"json/{part.name}.json", "w") as raw:
        raw.write(b"[")
        for row in _rows(connection, part, columns):
            raw.write((",\n" if count else "\n").encode()
                      + json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False).encode())
            count += 1
        raw.write(b"\n]\n")
    with archive.open(f"csv/{part.name}.csv", "w") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(names)
        for row in _rows(connection, part, columns):
            writer.writerow([_csv_cell(v) for v in row])
        text.flush()
        text.detach()
    return count


@dataclass
class Export:
    spool: Spool
    counts: dict[str, int]


def build(person_id: int) -> Export:
    """The zip of the person's data in a temporary file (gone when sent or closed), with rows per table."""
    file = tempfile.TemporaryFile()
    connection = db.session.connection()
    counts = {}
    with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr("README.txt", README)
        for part in parts(person_id):
            counts[part.name] = _write_part(archive, connection, part)
        archive.writestr("manifest.json", json.dumps(
            {"person_id": person_id, "exported_at": plain(utcnow()), "rows": counts}, ensure_ascii=False, indent=1))
    digest = hashlib.sha256()
    file.seek(0)
    while block := file.read(CHUNK):
        digest.update(block)
    return Export(Spool(file, sum(counts.values()), file.tell(), digest.hexdigest()), counts)
