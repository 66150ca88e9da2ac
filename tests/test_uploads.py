"""portal/uploads.py: the malicious-file corpus (docs/rules/platform.md#pl1) is refused with a clear message and
never stored; good files are stored clean, outside the web root, under random names. PDFs with active content
are cleaned rather than refused (docs/rules/platform.md#pl10): tests/test_upload_corpus.py."""
import errno
import io
import os
import struct
import zlib
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pikepdf
import pytest
from flask import current_app
from flask_babel import refresh
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from portal.platform import filecheck, uploads
from portal.platform.extensions import db
from portal.platform.uploads import StoredFile, UploadRefused
from portal.training.models import TrainingFile
from portal.training.operations import create_record
from tests.conftest import login


@contextmanager
def language(lang: str):
    """A request in `lang` (flask-babel caches the locale in g, which the test's app context shares)."""
    with current_app.test_request_context(headers={"Accept-Language": lang}):
        refresh()
        yield

MIB = 1024 * 1024


# --- building the corpus ------------------------------------------------------------------

def pdf_bytes(change=None, pages=1, encryption=None) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(300, 200))
    if change:
        change(pdf)
    out = io.BytesIO()
    pdf.save(out, encryption=encryption) if encryption else pdf.save(out)
    return out.getvalue()


def text_pdf(text="Certificate") -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(300, 200))
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    page = pdf.pages[0]
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.Contents = pdf.make_stream(f"BT /F1 24 Tf 20 100 Td ({text}) Tj ET".encode())
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def image_bytes(fmt="PNG", size=(60, 40), exif=None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    if exif is not None:
        image.save(out, fmt, exif=exif)
    else:
        image.save(out, fmt)
    return out.getvalue()


def gps_exif():
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (25.0, 2.0, 0.0), 3: "E", 4: (121.0, 33.0, 0.0)}  # GPSInfo
    return exif


def png_header_only(width, height) -> bytes:
    """A PNG whose header declares width × height with almost no pixel data (a pixel bomb)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def jpeg_with_comment(comment: bytes) -> bytes:
    data = image_bytes("JPEG")
    segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    return data[:2] + segment + data[2:]


EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def corpus() -> list[tuple[str, str, bytes, str]]:
    """(case, file name, content, a word the refusal message must contain)."""
    good_pdf = pdf_bytes()
    good_png = image_bytes("PNG")
    good_jpeg = image_bytes("JPEG")
    return [
        ("html renamed .pdf", "certificate.pdf", b"<!DOCTYPE html><html><body><script>alert(1)</script>", "web page"),
        ("svg with script", "drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
         "Only PDF"),
        ("svg renamed .png", "drawing.png", b'<?xml version="1.0"?><svg onload="alert(1)"></svg>', "SVG"),
        ("exe renamed .jpg", "photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200,
         "Windows program"),
        ("elf renamed .jpg", "photo.jpg", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "Linux program"),
        ("polyglot pdf/html", "poly.pdf", b"%PDF-1.4\n<html><script>alert(document.cookie)</script></html>\n"
         + good_pdf[9:], "web-page code"),
        ("polyglot jpeg/js", "poly.jpg", jpeg_with_comment(b"*/=1;<script>alert(1)</script>/*"), "web-page code"),
        ("php in jpeg", "shell.jpg", jpeg_with_comment(b"<?php system($_GET['c']); ?>"), "web-page code"),
        ("zero bytes", "empty.pdf", b"", "empty"),
        ("limit + 1 byte", "big.pdf", good_pdf + b"%" * (5 * MIB + 1 - len(good_pdf)), "larger than 5 MiB"),
        ("truncated jpeg", "cut.jpg", image_bytes("JPEG", (400, 300))[:900], "damaged"),
        ("truncated png", "cut.png", image_bytes("PNG", (400, 300))[:120], "damaged"),
        ("png pixel bomb 20000x20000", "bomb.png", png_header_only(20000, 20000), "pixels"),
        ("png 8000x6000 over 40 MP", "wide.png", png_header_only(8000, 6000), "megapixels"),
        ("encrypted pdf", "locked.pdf", pdf_bytes(encryption=pikepdf.Encryption(owner="o", user="u")), "encrypted"),
        ("encrypted pdf, empty user password", "locked2.pdf",
         pdf_bytes(encryption=pikepdf.Encryption(owner="o", user="")), "encrypted"),
        ("damaged pdf", "broken.pdf", b"%PDF-1.7\nthis is not a pdf at all\n%%EOF\n", "damaged"),
        ("pdf cut off before its end", "cut.pdf", text_pdf()[:-40], "incomplete"),
        ("pdf with 51 pages", "long.pdf", pdf_bytes(pages=51), "51 pages"),
        ("name with NUL", "cert\x00.pdf", good_pdf, "control characters"),
        ("name with RTL override", "cert\u202efdp.exe.pdf", good_pdf, "direction"),
        ("name with ../", "../../etc/passwd.pdf", good_pdf, "folder path"),
        ("name with ..\\", "..\\..\\boot.ini.pdf", good_pdf, "folder path"),
        ("name of 300 characters", "證" * 296 + ".pdf", good_pdf, "longer than 255"),
        ("double extension .pdf.html", "a.pdf.html", good_pdf, "Only PDF"),
        ("EICAR test virus", "eicar.pdf", EICAR, "virus scanner"),
        ("png content named .pdf", "image.pdf", good_png, "PNG image"),
        ("jpeg content named .png", "image.png", good_jpeg, "JPEG image"),
        ("zip (docx) renamed .pdf", "letter.pdf", b"PK\x03\x04" + b"\x00" * 100, "ZIP"),
        ("gif renamed .png", "anim.png", b"GIF89a" + b"\x00" * 100, "GIF"),
        ("plain text renamed .pdf", "notes.pdf", "只是文字".encode() * 10, "plain text"),
    ]


CORPUS = corpus()


# --- unit level ---------------------------------------------------------------------------

def test_the_corpus_has_at_least_30_files():
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("case,name,data,word", CORPUS, ids=[c[0] for c in CORPUS])
def test_each_malicious_file_is_refused_with_a_clear_message(app, case, name, data, word):
    with language("en"):
        with pytest.raises(UploadRefused) as refused:
            uploads.check_file(name, data)
        assert word in str(refused.value.reason), case
        assert refused.value.message.endswith(str(refused.value.reason))
        assert "\x00" not in refused.value.message and "\u202e" not in refused.value.message


def test_refusals_are_bilingual(app):
    checks = [("empty.pdf", b"", "檔案是空的"), ("a.exe", b"MZ", "PDF、JPEG"),
              ("locked.pdf", pdf_bytes(encryption=pikepdf.Encryption(owner="o", user="u")), "加密")]
    for name, data, chinese in checks:
        with language("zh-TW"):
            with pytest.raises(UploadRefused) as zh:
                uploads.check_file(name, data)
            assert chinese in zh.value.message
        with language("en"):
            with pytest.raises(UploadRefused) as en:
                uploads.check_file(name, data)
            assert en.value.message.isascii() or "was not accepted" in en.value.message


def test_a_good_pdf_is_resaved_and_gets_a_first_page_preview(app):
    with app.test_request_context():
        checked = uploads.check_file("訓練證書.pdf", text_pdf())
    assert checked.kind == "pdf" and checked.pages == 1 and checked.display_name == "訓練證書.pdf"
    with pikepdf.open(io.BytesIO(checked.data)) as pdf:
        assert len(pdf.pages) == 1
    with Image.open(io.BytesIO(checked.preview)) as preview:
        assert preview.format == "PNG" and max(preview.size) == filecheck.THUMBNAIL_PX


def test_a_jpeg_is_reencoded_without_metadata(app):
    original = image_bytes("JPEG", (80, 60), exif=gps_exif())
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif().get(0x8825)
    with app.test_request_context():
        checked = uploads.check_file("photo.JPEG", original)
    with Image.open(io.BytesIO(checked.data)) as image:
        assert image.format == "JPEG" and image.size == (80, 60)
        assert not image.getexif() and "exif" not in image.info


def test_display_names_keep_chinese_and_are_trimmed(app):
    with app.test_request_context():
        assert filecheck.display_name("志工 基礎訓練 證書.pdf") == "志工 基礎訓練 證書.pdf"
        assert filecheck.display_name("e\u0301cole.pdf") == "\u00e9cole.pdf"  # NFC
        assert filecheck.display_name("a\u200bb.pdf") == "ab.pdf"  # other invisible characters dropped
        long = filecheck.display_name("訓" * 150 + ".pdf")
        assert len(long) == 100 and long.endswith(".pdf")
        with pytest.raises(UploadRefused):
            filecheck.display_name("")


def test_eicar_is_caught_by_the_configured_scanner_adapter(app):
    app.config["UPLOAD_SCANNER"] = lambda data: "Fake.Threat" if b"FAKE" in data else None
    with language("en"):
        with pytest.raises(UploadRefused) as refused:
            uploads.check_file("x.pdf", pdf_bytes() + b"%FAKE")
        assert "Fake.Threat" in str(refused.value.reason)


def test_stored_files_live_under_random_names_inside_the_upload_dir(app):
    with app.test_request_context():
        stored = uploads.store(uploads.check_file("證書.png", image_bytes()), "test", None)
        db.session.commit()
        path = uploads.file_path(stored)
    root = Path(app.config["UPLOAD_DIR"]).resolve()
    assert root in path.parents and "證書" not in str(path) and len(stored.storage_key) == 32
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and uploads.preview_path(stored).exists()
    assert (path.stat().st_mode & 0o777) == 0o600
    static = Path(current_app.static_folder).resolve()
    assert static not in path.parents


def test_a_rolled_back_upload_leaves_no_file(app):
    with app.test_request_context():
        stored = uploads.store(uploads.check_file("a.png", image_bytes()), "test", None)
        path = uploads.file_path(stored)
        assert path.exists()
        db.session.rollback()
    assert not path.exists()
    assert db.session.scalar(select(func.count(StoredFile.id))) == 0


# --- through HTTP -------------------------------------------------------------------------

def post_files(client, url, files, **kw):
    """A multipart POST built in memory (the test client would spool big bodies to unclosed temp files)."""
    # Header values are quoted strings: a literal backslash travels escaped, as a browser would send it.
    parts = [FileStorage(io.BytesIO(data), filename=name.replace("\\", "\\\\"),
                         content_type="application/octet-stream") for name, data in files]
    boundary, body = encode_multipart(MultiDict([("files", part) for part in parts]))
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}", **kw)


def basic_training_record(world):
    """A committed basic-training record of volunteer a in unit A, to upload certificate files to."""
    record = create_record(world.people["a"], world.units["A"].id,
                           {"kind": "basic", "course_name": "基礎訓練", "completed_on": date(2025, 3, 5)}, None)
    db.session.commit()
    return record


def stored_on_disk(app) -> list[Path]:
    return [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]


def test_the_corpus_uploaded_through_the_form_stores_nothing(app, world, client):
    record = basic_training_record(world)
    login(client, world.users["clerk_a"])
    client.post("/language", data={"lang": "en"})
    small = [c for c in CORPUS if len(c[2]) < MIB]
    big = [c for c in CORPUS if len(c[2]) >= MIB]
    pages = []
    for batch in [small] + [[c] for c in big]:
        response = post_files(client, f"/training/records/{record.id}/files",
                              [(name, data) for _case, name, data, _word in batch], follow_redirects=True)
        assert response.status_code == 200
        pages.append(response.get_data(as_text=True))
    text = "\n".join(pages)
    for case, _name, _data, word in CORPUS:
        assert word.replace("'", "&#39;") in text, case
    assert text.count("was not accepted") >= len(CORPUS)
    assert db.session.scalar(select(func.count(StoredFile.id))) == 0
    assert db.session.scalar(select(func.count(TrainingFile.id))) == 0
    assert stored_on_disk(app) == []


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_full_or_unwritable_store_refuses_with_a_message_and_keeps_nothing(app, world, client, monkeypatch, code):
    """A disk that fills up half-way through the file (or a folder that cannot be written): a message in the
    user's language, no row, no partial file (the tests run as root, so a read-only folder is simulated)."""
    record = basic_training_record(world)
    real_fdopen = uploads.os.fdopen

    class HalfWritten:
        def __init__(self, fd, mode):
            self.fh = real_fdopen(fd, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, data):
            self.fh.write(data[: len(data) // 2])
            self.fh.flush()
            raise OSError(code, os.strerror(code))

    monkeypatch.setattr(uploads.os, "fdopen", HalfWritten)
    login(client, world.users["clerk_a"])
    response = post_files(client, f"/training/records/{record.id}/files", [("證書.png", image_bytes())],
                          follow_redirects=True)
    assert response.status_code == 200
    assert "檔案儲存空間目前無法存放檔案" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(StoredFile.id))) == 0
    assert db.session.scalar(select(func.count(TrainingFile.id))) == 0
    assert stored_on_disk(app) == []
    monkeypatch.undo()                  # the same upload once the store works again
    post_files(client, f"/training/records/{record.id}/files", [("證書.png", image_bytes())])
    assert db.session.scalar(select(func.count(TrainingFile.id))) == 1 and len(stored_on_disk(app)) >= 1


def test_a_request_over_the_body_limit_is_refused_with_413(app, world, client):
    record = basic_training_record(world)
    login(client, world.users["clerk_a"])
    response = post_files(client, f"/training/records/{record.id}/files",
                          [(f"{i}.pdf", b"%PDF-" + b"0" * (4 * MIB)) for i in range(3)])
    assert response.status_code == 413
    assert stored_on_disk(app) == []


def test_downloads_are_attachments_that_browsers_will_not_render(app, world, client):
    record = basic_training_record(world)
    login(client, world.users["clerk_a"])
    response = post_files(client, f"/training/records/{record.id}/files", [("基礎訓練證書.pdf", text_pdf())])
    assert response.status_code == 302
    stored = db.session.scalar(select(StoredFile))
    assert stored.display_name == "基礎訓練證書.pdf"
    for url, mimetype in ((f"/training/files/{stored.id}", "application/pdf"),
                          (f"/training/files/{stored.id}/preview", "image/png")):
        download = client.get(url)
        assert download.status_code == 200 and download.mimetype == mimetype
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
        assert "no-store" in download.headers["Cache-Control"]
    disposition = client.get(f"/training/files/{stored.id}").headers["Content-Disposition"]
    assert "filename*=UTF-8''%E5%9F%BA%E7%A4%8E" in disposition
    assert client.get(f"/training/files/{stored.id}").data[:5] == b"%PDF-"


@pytest.mark.parametrize("kind,fmt,cut", [("jpeg", "JPEG", 900), ("png", "PNG", 300)])
def test_cut_off_images_are_refused_even_when_pillow_is_told_to_accept_them(app, monkeypatch, kind, fmt, cut):
    """WeasyPrint switches Pillow's LOAD_TRUNCATED_IMAGES on for the whole process when imported."""
    from PIL import ImageFile
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    whole = image_bytes(fmt, (400, 300))
    assert filecheck.check_image("whole." + kind, whole, kind).width == 400
    with pytest.raises(UploadRefused):
        filecheck.check_image("cut." + kind, whole[:cut], kind)
