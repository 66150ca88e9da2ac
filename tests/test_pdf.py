"""The PDF engine and the three certificate PDFs: QR decodes to the verify URL, text extraction finds the
Latin name, hours and code, A4 + tagged + title + language, glyph check, hostile names (issue 6)."""
import ctypes
import subprocess
from datetime import date

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
import zxingcpp
from flask_babel import force_locale

from portal.certificates.documents import english_payload, performance_payload, transcript_payload
from portal.certificates.facts import service_summary
from portal.documents.models import Document
from portal.documents.operations import document_file, issue_document
from portal.platform import pdf
from portal.platform.extensions import db
from portal.training.models import TrainingRecord
from tests.test_certificates import RealHours

BASE = "https://portal.example.org"


def text_of(content: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
                          ).stdout.decode("utf-8")


def flat(text: str) -> str:
    return " ".join(text.split())


def qr_codes(content: bytes) -> list[str]:
    document = pdfium.PdfDocument(content)
    found = []
    for page in document:
        image = page.render(scale=2).to_pil()
        found += [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    return found


def catalog_language(content: bytes) -> str:
    document = pdfium.PdfDocument(content)
    size = pdfium_c.FPDFCatalog_GetLanguage(document.raw, None, 0)
    buffer = (ctypes.c_ushort * (size // 2))()
    pdfium_c.FPDFCatalog_GetLanguage(document.raw, buffer, size)
    return bytes(buffer).decode("utf-16-le").rstrip("\x00")


@pytest.fixture
def record(app, world):
    """Person a with 256.5 hours over two years in unit A and 20 in unit B, and verified basic training."""
    person, a, b = world.people["a"], world.units["A"], world.units["B"]
    person.name_latin = "WANG, HSIAO-MING"
    person.memberships[0].joined_on = date(2022, 4, 1)
    a.name_en, b.name_en = "Taipei Volunteer Association", "Taipei Second Elementary School"
    db.session.add(TrainingRecord(person_id=person.id, unit_id=a.id, kind="basic", course_name="志願服務基礎訓練",
                                  hours=12, completed_on=date(2022, 3, 12), status="verified"))
    db.session.commit()
    hours = RealHours()
    hours.add(person, a, 200, date(2023, 5, 1), end_on=date(2023, 12, 31))
    hours.add(person, a, 313, date(2024, 1, 3), end_on=date(2024, 12, 30))
    hours.add(person, b, 40, date(2024, 6, 1), field_code="education")
    return person


def issue(kind, person, unit, **payload_args):
    summary = service_summary(person.id, unit.id if kind == "performance" else None)
    if kind == "performance":
        payload = performance_payload(person, unit, summary, prepared_by="陳承辦", countersigned_by="李督導")
    elif kind == "english_certificate":
        payload = english_payload(person, unit, summary, purpose="Exchange programme",
                                  purpose_note="Erasmus+ KU Leuven", approved_by="LEE, MEI-HUA")
    else:
        payload = transcript_payload(person, unit, summary, purpose="Visa or residence application",
                                     approved_by="LEE, MEI-HUA")
    payload.update(payload_args)
    document = issue_document(kind, person, payload, unit, base_url=BASE)
    db.session.commit()
    return document, document_file(document)


@pytest.fixture
def english(app):
    with app.test_request_context(base_url=BASE, headers={"Accept-Language": "en"}), force_locale("en"):
        yield


def test_qr_in_each_pdf_decodes_to_the_verify_url(record, world, english):
    for kind in ("performance", "english_certificate", "english_transcript"):
        document, content = issue(kind, record, world.units["A"])
        pages = len(pdfium.PdfDocument(content))
        assert qr_codes(content) == [f"{BASE}/verify/{document.token}"] * pages, kind  # one on every page


def test_pdfs_are_a4_tagged_with_title_and_language(record, world, english):
    for kind, lang, title in (("performance", "zh-Hant-TW", "志願服務績效證明書"),
                              ("english_certificate", "en", "Certificate of Volunteer Service (English)")):
        _, content = issue(kind, record, world.units["A"])
        document = pdfium.PdfDocument(content)
        assert pdfium_c.FPDFCatalog_IsTagged(document.raw)
        assert catalog_language(content) == lang
        assert document.get_metadata_dict()["Title"] == title
        width, height = document[0].get_size()
        assert (round(width), round(height)) == (595, 842)
        assert b"/JavaScript" not in content and b"/OpenAction" not in content


def test_english_certificate_text_has_latin_name_hours_and_code(record, world, english):
    document, content = issue("english_certificate", record, world.units["A"])
    text = flat(text_of(content))
    assert "Certificate of Volunteer Service" in text
    assert "WANG, HSIAO-MING" in text
    assert "Total hours of service 276.5" in text
    assert document.short_code in text and f"{BASE}/verify" in text
    assert "Taipei Volunteer Association" in text and "Taipei Second Elementary School" in text
    assert "2022-04-01" in text and "present" in text
    assert "Erasmus+ KU Leuven" in text
    assert record.id_number not in text
    assert len(pdfium.PdfDocument(content)) == 1


def test_english_transcript_text_has_years_units_fields_training(record, world, english):
    document, content = issue("english_transcript", record, world.units["A"])
    text = flat(text_of(content))
    assert "Volunteer Service Transcript" in text and "WANG, HSIAO-MING" in text
    assert document.short_code in text
    assert "Total hours of service 276.5" in text
    assert "Subtotal 2023 100" in text and "Subtotal 2024 176.5" in text
    assert "Social welfare" in text and "Education" in text
    assert "Basic training" in text and "志願服務基礎訓練" in text and "2022-03-12" in text


def test_performance_certificate_is_chinese_with_the_name_in_both_scripts(record, world, english):
    document, content = issue("performance", record, world.units["A"])
    text = flat(text_of(content))
    packed = "".join(text.split())
    assert "志願服務績效證明書" in text
    assert record.name in text and "WANG, HSIAO-MING" in text
    assert "累計服務時數256.5小時" in packed and "自民國111年4月1日起" in packed and "社會福利" in packed
    assert record.id_number[:6] + "****" in text and record.id_number not in text
    assert document.short_code in text
    assert len(pdfium.PdfDocument(content)) == 1


def test_an_extension_b_character_in_the_font_renders(record, world, english):
    record.name = "林𡘙妹"          # U+21619, in Noto TC
    db.session.commit()
    _, content = issue("performance", record, world.units["A"])
    assert "林𡘙妹" in text_of(content)


def test_a_character_without_glyph_fails_with_a_clear_message(record, world, english):
    record.name = "王𠀋明"          # U+2000B, not in Noto TC
    db.session.commit()
    with pytest.raises(pdf.MissingGlyphError) as raised:
        issue("performance", record, world.units["A"])
    message = raised.value.messages()[0]
    assert "王𠀋明" in message and "U+2000B" in message and "cannot print" in message
    db.session.rollback()
    assert db.session.query(Document).count() == 0


def test_the_glyph_problem_is_shown_before_the_request_is_sent(app, record, world):
    from tests.conftest import login
    record.name = "王𠀋明"
    db.session.commit()
    client = login(app.test_client(), world.users["volunteer"])
    response = client.post("/documents/request/performance", data={"unit": world.units["A"].id},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 422 and "U+2000B" in response.get_data(as_text=True)


@pytest.mark.parametrize("latin", ["NGUYỄN THỊ MINH-KHAI", "MÜLLER-LÜDENSCHEIDT, JOSÉ", "O'NEILL, SEÁN",
                                   "GARCÍA-NÚÑEZ, MARÍA ÁNGELES"])
def test_latin_names_with_diacritics_and_hyphens_render(record, world, english, latin):
    record.name_latin = latin
    db.session.commit()
    _, content = issue("english_certificate", record, world.units["A"])
    assert latin in text_of(content)


def test_latin_letters_outside_the_font_fail_with_a_message(record, world, english):
    record.name_latin = "WAŁĘSA, ŁUKASZ"
    db.session.commit()
    with pytest.raises(pdf.MissingGlyphError) as raised:
        issue("english_certificate", record, world.units["A"])
    assert "U+0141" in raised.value.messages()[0]


def test_decomposed_diacritics_are_normalised_before_the_check(app):
    assert pdf.missing_glyphs("JOSE\u0301") == []


def test_very_long_unit_names_stay_on_the_page(record, world, english):
    unit = world.units["A"]
    unit.name = "財團法人臺灣省私立" + "社會福利慈善事業基金會附設" * 8 + "志工隊"
    unit.name_en = ("Taiwan Provincial Private Social Welfare and Charity Foundation Affiliated "
                    "Community Volunteer Service Corps for Elderly Care and Disability Support, Da'an District")
    db.session.commit()
    _, zh = issue("performance", record, unit)
    assert len(pdfium.PdfDocument(zh)) == 1 and "志工隊" in text_of(zh)
    _, en = issue("english_certificate", record, unit)
    assert len(pdfium.PdfDocument(en)) == 1 and "Da'an District" in flat(text_of(en))


def test_qr_is_an_svg_data_uri(app):
    uri = pdf.qr_data_uri(f"{BASE}/verify/abc")
    assert uri.startswith("data:image/svg+xml")


def test_css_strings_cannot_close_the_style_element(app):
    assert "</style>" not in pdf.css_string('</style><script>"x"')
