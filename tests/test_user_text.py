"""Words on user pages (issue 14, part 4 and 5): English plurals, English punctuation on English pages, English
names with a marker where there is none, Taipei dates, no internal words, import messages that say what to do,
the record book's hour table aligned on every page and the verification page's two dates named."""
import io
import re
from datetime import date, datetime

import pypdfium2 as pdfium
from flask_babel import force_locale
from freezegun import freeze_time
from sqlalchemy import select

from portal.documents.models import Document
from portal.documents.operations import PreparedDocument
from portal.hours.models import HourEntry
from portal.imports.models import ImportBatch
from portal.platform.extensions import db
from portal.platform.i18n import chinese_only, join_list, localized_shown
from portal.training.models import Basis, CaseStatus, LostCertificateCase
from portal.volunteers import record_book_pdf
from tests.conftest import ROOT, login

# Words that are the portal's insides, not the user's: the command line, digests, database counters, raw keys
# of statuses and bases, Python reprs, unrendered templates.
BANNED = ("命令列", "command-line import", "SHA-256", "sha256", "import #", "Import #", "匯入 #", "匯入#",
          "object at 0x", "Traceback", "<portal.", "record_book_rule", "authority_decision", "T7:",
          "unknown_volunteer", "{{", "{%", "%(")
# A CJK comma, colon or full stop glued to English words (Chinese data between them is fine).
CJK_PUNCTUATION_IN_ENGLISH = re.compile(r"[A-Za-z][、，：；。]|[、，：；。] ?[A-Za-z]")
# A count before a plural noun in a plain gettext: "1 applications found". Limits (at most 120 characters,
# valid 10 minutes) are never one and may stay plain.
PLAIN_PLURAL = re.compile(r"""(?<![n])(?:\b_|gettext|_l)\(\s*(["'])((?:(?!\1).)*%\((?:n|num|count)\)[ds] [a-z-]+s\b(?:(?!\1).)*)\1""")
LIMIT_WORDS = ("at most", "at least", "longer than", "more than", "minutes", "the pdf has")
NOTIFICATION_EVENTS = {"Your work list: %(count)s items waiting", "%(count)s items are waiting on your work list."}


def page_text(body: str) -> str:
    """The visible text of a page: no scripts, styles or tags."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def test_no_count_before_a_plural_noun_goes_through_plain_gettext():
    found = []
    for path in [*ROOT.joinpath("portal").rglob("*.py"), *ROOT.joinpath("templates").rglob("*.html")]:
        for match in PLAIN_PLURAL.finditer(path.read_text(encoding="utf-8")):
            message = match[2]
            if not any(word in message.lower() for word in LIMIT_WORDS) and message not in NOTIFICATION_EVENTS:
                found.append(f"{path.relative_to(ROOT)}: {message}")
    assert found == []
    assert PLAIN_PLURAL.search('_("%(n)d applications found.", n=1)')          # the check itself finds one
    assert not PLAIN_PLURAL.search('ngettext("%(num)d application found.", "%(num)d applications found.", 1)')


def test_lists_join_and_names_are_marked_in_the_readers_language(app):
    class Named:
        def __init__(self, name, name_en):
            self.name, self.name_en = name, name_en

    with app.test_request_context():
        with force_locale("zh_TW"):
            assert join_list(["社會福利", "衛生保健", "文化"]) == "社會福利、衛生保健、文化"
            assert chinese_only("新光人壽") == "新光人壽" and localized_shown(Named("甲協會", "")) == "甲協會"
        with force_locale("en"):
            assert join_list(["Social welfare"]) == "Social welfare"
            assert join_list(["Social welfare", "Health"]) == "Social welfare and Health"
            assert join_list(["a", "", None, "b", "c"]) == "a, b, and c"
            assert localized_shown(Named("甲協會", "Unit A")) == "Unit A"
            assert localized_shown(Named("甲協會", "")) == "甲協會 (Chinese only)"
            assert localized_shown(None) == ""


def file_case(client, person, kind):
    data = {"kind": kind, "field_code": "social" if kind == "special" else "", "course_name": "特殊訓練",
            "provider": "", "approx_completed_on": "105/03/01", "evidence": "結訓名冊影本",
            "files": (io.BytesIO(b""), "")}
    response = client.post(f"/training/people/{person.id}/lost/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def test_a_case_filed_at_half_past_midnight_in_taipei_shows_that_day_and_counts_read_one_and_two(world, client):
    """Stored 2026-03-10 16:30 UTC = 2026-03-11 00:30 Taipei: the list and its CSV say 11 March (115/03/11)."""
    with freeze_time("2026-03-10 16:30:00", tick=True):   # the whole visit then: sessions expire
        login(client, world.users["clerk_a"])
        file_case(client, world.people["a"], "special")
        assert f"{db.session.scalar(select(LostCertificateCase.created_at)):%Y-%m-%d %H:%M}" == "2026-03-10 16:30"
        zh = client.get("/training/lost/").get_data(as_text=True)
        assert "115/03/11" in zh and "115/03/10" not in zh and "共 1 件申請案。" in zh
        csv_zh = client.get("/training/lost/export.csv").get_data(as_text=True)
        assert "115/03/11" in csv_zh and "115/03/10" not in csv_zh
        client.post("/language", data={"lang": "en"})
        en = client.get("/training/lost/").get_data(as_text=True)
        assert "2026-03-11" in en and "2026-03-10" not in en and "1 case found." in en
        file_case(client, world.people["a"], "basic")
        en = client.get("/training/lost/").get_data(as_text=True)
        assert "2 cases found." in en and "1 case found." not in en
        client.post("/language", data={"lang": "zh_TW"})
        assert "共 2 件申請案。" in client.get("/training/lost/").get_data(as_text=True)


def unknown_volunteer_upload(client) -> int:
    rows = "身分證字號 ID number,姓名 Name,服務日期起 Start date,服務日期訖 End date,時數 Hours,服務類別 Service field," \
           "服務內容 Content\nE299235941,沈欣翰,114/03/05,,2.5,社會福利,導覽\n"
    response = client.post("/imports/", data={"kind": "hours", "file": (io.BytesIO(rows.encode()), "三月時數.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def user_text_world(world, client) -> dict:
    """What the main pages show besides the world: an hour entry from an import run without an account,
    a lost-certificate case the portal decided itself (with a note written before notes were keys), an
    hours import naming a person nobody registered, and a unit without an English name."""
    unit, person = world.units["A"], world.people["a"]
    batch = ImportBatch(kind="hours", scope_key=f"unit:{unit.id}", unit_id=unit.id, sha256="f" * 64,
                        filename="115年3月時數.xlsx", status="committed", rows=1, committed=1,
                        created_at=datetime(2026, 3, 31, 16, 30))
    db.session.add(batch)
    db.session.flush()
    entry = HourEntry(person_id=person.id, unit_id=unit.id, start_on=date(2026, 3, 5), end_on=date(2026, 3, 5),
                      half_hours=6, field_code=unit.field_code, import_batch_id=batch.id, entered_by_id=None)
    case = LostCertificateCase(person_id=person.id, unit_id=unit.id, kind="special", field_code="social",
                               course_name="社福特殊訓練", provider="", evidence="", record_book_no="TPE-105-000123",
                               status=CaseStatus.ACCEPTED, basis=Basis.RECORD_BOOK_RULE,
                               effective_on=date(2016, 4, 1), decided_at=datetime(2026, 3, 1),
                               decision_note="T7: health-and-welfare volunteer holding a record book "
                                             "(paper record book TPE-105-000123)")
    world.units["B"].name_en = ""
    db.session.add_all([entry, case])
    db.session.commit()
    login(client, world.users["clerk_a"])
    return {"entry": entry.id, "case": case.id, "batch": unknown_volunteer_upload(client)}


def test_main_pages_of_each_role_have_no_internal_words_and_english_punctuation_in_english(world, app, client):
    ids = user_text_world(world, client)
    pages = {"volunteer": ["/", "/training/", "/awards/mine"],
             "clerk_a": ["/", "/volunteers/", "/hours/", f"/hours/{ids['entry']}", "/imports/",
                         f"/imports/{ids['batch']}", "/training/lost/", f"/training/lost/{ids['case']}",
                         "/insurance/"],
             "clerk_b": ["/volunteers/"],
             "county_tpe": ["/", "/training/lost/", f"/training/lost/{ids['case']}"],
             "ministry": ["/"], None: ["/verify", "/login"]}
    seen = {}
    for lang in ("zh_TW", "en"):
        for persona, urls in pages.items():
            browser = app.test_client()
            if persona:
                world.users[persona].locale = lang
                db.session.commit()
                login(browser, world.users[persona])
            else:
                browser.post("/language", data={"lang": lang})
            for url in urls:
                response = browser.get(url)
                assert response.status_code == 200, (persona, url, response.status_code)
                text = page_text(response.get_data(as_text=True))
                assert [word for word in BANNED if word in text] == [], (lang, persona, url)
                if lang == "en":
                    assert CJK_PUNCTUATION_IN_ENGLISH.findall(text) == [], (persona, url)
                seen[(lang, persona, url)] = text
    entry, case = f"/hours/{ids['entry']}", f"/training/lost/{ids['case']}"
    assert "由匯入檔建立（115年3月時數.xlsx，115/04/01）" in seen[("zh_TW", "clerk_a", entry)]
    assert "created from the import file 115年3月時數.xlsx of 2026-04-01" in seen[("en", "clerk_a", entry)]
    # The automatic note in the reader's language, whatever language it was stored in.
    assert "系統自動決定：志工在衛福類別服務，並持有紙本服務紀錄冊 TPE-105-000123。" in seen[("zh_TW", "county_tpe", case)]
    assert "Decided automatically" not in seen[("zh_TW", "county_tpe", case)]
    assert "holds paper record book TPE-105-000123." in seen[("en", "county_tpe", case)]
    # A unit without an English name is marked on English pages, named plainly on Chinese ones.
    assert "臺北乙國小 (Chinese only)" in seen[("en", "clerk_b", "/volunteers/")]
    assert "Chinese only" not in seen[("zh_TW", "clerk_b", "/volunteers/")]


def test_an_unknown_volunteer_in_an_hours_import_points_to_the_roster_not_the_file(world, client):
    login(client, world.users["clerk_a"])
    batch = unknown_volunteer_upload(client)
    body = client.get(f"/imports/{batch}").get_data(as_text=True)
    assert "這些列本身沒有錯誤，缺少的是志工名冊" in body and "請先匯入貴單位的志工名冊" in body
    assert 'href="/imports/?kind=volunteers#upload-heading"' in body
    form = client.get("/imports/?kind=volunteers").get_data(as_text=True)
    assert re.search(r'<option[^>]*selected[^>]*value="volunteers"|<option[^>]*value="volunteers"[^>]*selected',
                     form)
    client.post("/language", data={"lang": "en"})
    body = client.get(f"/imports/{batch}").get_data(as_text=True)
    assert "1 row names a person who is not registered in the portal yet" in body
    assert "The row can stay as it is; import your unit&#39;s roster" in body


def test_the_verification_page_names_the_first_issue_and_this_copys_generation(world, client):
    person = world.people["a"]
    document = Document(kind="record_book", language="zh_TW", person_id=person.id, token="v" * 43,
                        short_code="TEST2345", issuer_name="臺北市政府", issuer_name_en="Taipei City Government",
                        payload={"name": person.name, "issued_on": "2024-03-01"}, issued_on=date(2026, 12, 6))
    db.session.add(document)
    db.session.commit()
    zh = page_text(client.get(f"/verify/{document.token}").get_data(as_text=True))
    assert "首次核發日期 民國113年3月1日" in zh and "本份產製日期 民國115年12月6日" in zh
    client.post("/language", data={"lang": "en"})
    en = page_text(client.get(f"/verify/{document.token}").get_data(as_text=True))
    assert "First issued on 2024-03-01" in en and "This copy generated on 2026-12-06" in en


def book_with_entries(n: int) -> PreparedDocument:
    units = ["臺北市萬華社區服務協會", "新北市立醫院志工隊", "臺北市立圖書館"]
    years: dict[int, list] = {}
    for i in range(n):
        start = date.fromordinal(date(2023, 1, 3).toordinal() + 7 * i)
        end = date.fromordinal(start.toordinal() + 30) if i % 9 == 0 else None
        years.setdefault(start.year, []).append([start.isoformat(), end.isoformat() if end else None, units[i % 3],
                                                 "社會福利", ["關懷訪視獨居長者並協助送餐服務", "", "門診引導"][i % 3],
                                                 3 + i % 12])
    payload = {"name": "王小明", "name_latin": "", "sex": "M", "birth_date": "1987-04-05", "id_masked": "A12****789",
               "number": "TPE-115-000123", "kind": "first", "edition": 1, "issued_on": "2024-03-01",
               "issuer_name": "臺北市政府社會局", "unit_name": units[0], "training": [], "insurance": [], "awards": [],
               "years": [{"year": y, "half_hours": sum(e[5] for e in es), "entries": es}
                         for y, es in sorted(years.items())],
               "total_half_hours": sum(e[5] for es in years.values() for e in es)}
    return PreparedDocument(kind="record_book", person_id=1, unit_id=None, authority_id=1,
                            issuer_name="臺北市政府社會局", issuer_name_en="", payload=payload, token="t" * 43,
                            short_code="ABCD2345", issued_on=date(2026, 12, 6), base_url="https://portal.example.tw")


def chars_of(page) -> list[tuple[str, tuple[float, float, float, float]]]:
    text = page.get_textpage()
    return [(text.get_text_range(i, 1), text.get_charbox(i)) for i in range(text.count_chars())]


def test_the_record_book_hour_table_keeps_its_columns_on_every_page(app):
    """~120 entries over several pages: every page of the table repeats the header, every date starts where
    the 日期 header starts, and every hour figure ends where the 時數 header ends."""
    with app.test_request_context():
        content = record_book_pdf.render(book_with_entries(120), photo="")
    pdf = pdfium.PdfDocument(content)
    table_pages = 0
    for number in range(len(pdf)):
        chars = chars_of(pdf[number])
        line = "".join(c for c, _box in chars)
        found = re.search(r"日期\s*運用單位", line)
        if found is None:
            continue
        table_pages += 1
        header = found.start()
        date_left, hours_right = chars[header][1][0], chars[line.index("時數", header) + 1][1][2]
        starts = [chars[m.start()][1][0] for m in re.finditer(r"1\d\d/\d\d/\d\d", line)
                  if m.start() == 0 or line[m.start() - 1] not in "–-"]
        assert starts and all(abs(x - date_left) < 1.0 for x in starts), (number, date_left, starts)
        rows: list[list] = []   # the last column's characters, line by line (baselines within 2 pt)
        for bottom, char, right in sorted((box[1], char, box[2]) for char, box in chars
                                          if box[0] > hours_right - 40 and char.strip()):
            if not rows or bottom - rows[-1][0][0] > 2:
                rows.append([])
            rows[-1].append((bottom, char, right))
        figures = [max(r for _b, _c, r in cells) for cells in rows
                   if all(c.isdigit() or c == "." for _b, c, _r in cells)]
        assert len(figures) >= 5 and all(abs(r - hours_right) < 1.5 for r in figures), (number, hours_right)
    assert table_pages >= 2
