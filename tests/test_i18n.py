"""Two languages everywhere: Traditional Chinese by default, English one click away."""
import re
from datetime import date

import pytest
from babel.messages.pofile import read_po
from flask import current_app
from flask_babel import force_locale

from portal.platform import access
from portal.platform.extensions import db
from portal.platform.i18n import mark_chinese
from tests.conftest import ROOT, login
from tests.scope_objects import OBJECTS, string_params

PO = ROOT / "translations" / "zh_Hant_TW" / "LC_MESSAGES" / "messages.po"
SIMPLIFIED = "该字段是必填字段"


def test_no_catalog_message_is_untranslated_or_fuzzy():
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert missing == []


def test_the_catalog_matches_the_source(tmp_path):
    """Every marked string in the code is in the catalog (run `make translations` after changes)."""
    import subprocess
    import sys
    pot = tmp_path / "check.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-o", str(pot)],
                   cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as fh:
        source = {m.id for m in read_po(fh) if m.id}
    with PO.open("rb") as fh:
        translated = {m.id for m in read_po(fh) if m.id and m.string}
    assert len(source) > 100
    assert source - translated == set()


def test_default_language_is_traditional_chinese(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-Hant-TW">' in page and "登入" in page


@pytest.mark.parametrize("header,lang", [("zh-TW,zh;q=0.9", "zh-Hant-TW"), ("zh-Hant-TW", "zh-Hant-TW"),
                                         ("zh-CN", "zh-Hant-TW"), ("en-US,en;q=0.8", "en"), ("fr", "zh-Hant-TW")])
def test_browser_language(client, header, lang):
    page = client.get("/login", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'<html lang="{lang}">' in page


def test_wtforms_messages_are_traditional_not_simplified(client):
    body = client.post("/login", data={"username": "", "password": ""}).get_data(as_text=True)
    assert "此欄位是必需的" in body and SIMPLIFIED not in body


def test_switching_language_is_remembered_for_the_user(world, app, client):
    login(client, world.users["clerk_a"])
    response = client.post("/language", data={"lang": "en", "next": "/volunteers/"})
    assert response.headers["Location"] == "/volunteers/"
    page = client.get("/volunteers/").get_data(as_text=True)
    assert '<html lang="en">' in page and "Volunteers" in page
    db.session.expire_all()
    assert world.users["clerk_a"].locale == "en"
    other_device = login(app.test_client(), world.users["clerk_a"])
    assert '<html lang="en">' in other_device.get("/").get_data(as_text=True)


def test_anonymous_language_choice_lives_in_the_session(client):
    client.post("/language", data={"lang": "en"})
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


def test_dates_are_roc_in_chinese_and_iso_in_english(world, client):
    person = world.people["a"]
    person.birth_date = date(1987, 4, 5)
    db.session.commit()
    login(client, world.users["clerk_a"])
    zh = client.get(f"/volunteers/{person.id}").get_data(as_text=True)
    assert "民國76年4月5日" in zh and "1987-04-05" not in zh
    world.users["clerk_a"].locale = "en"
    db.session.commit()
    en = client.get(f"/volunteers/{person.id}").get_data(as_text=True)
    assert "1987-04-05" in en and "民國" not in en


PERSONA_FOR_ROLE = {"volunteer": "volunteer", "unit_clerk": "clerk_a", "unit_supervisor": "supervisor_a",
                    "sector_local": "sector_local", "county": "county_tpe", "sector_central": "sector_central",
                    "ministry": "ministry", "admin": "admin"}


@pytest.mark.parametrize("lang", ["zh_TW", "en"])
def test_every_page_renders_in_both_languages(world, app, lang):
    """Every GET route, called by a role allowed to use it on an object in its scope, answers 200
    with the right <html lang>, and no English UI label leaks into the Chinese page's headings."""
    objects = {name: fn(world) for name, fn in OBJECTS.items()}
    strings = string_params(world)
    seen = 0
    for rule in current_app.url_map.iter_rules():
        roles = access.allowed_roles(rule.endpoint) or set()
        if rule.endpoint == "static" or "GET" not in rule.methods:
            continue
        role = next((r for r in PERSONA_FOR_ROLE if r in roles), None)
        client = app.test_client()
        if role:
            user = world.users[PERSONA_FOR_ROLE[role]]
            user.locale = lang
            db.session.commit()
            login(client, user)
        else:
            client.post("/language", data={"lang": lang})
        values = {n: objects[n]["A"] for n in rule.arguments if n in OBJECTS}
        values |= {n: strings[n] for n in rule.arguments if n not in OBJECTS and n not in (rule.defaults or {})}
        url = rule.build(values)[1]
        response = client.get(url)
        if response.mimetype != "text/html" or response.status_code in (302, 303):
            continue
        body = response.get_data(as_text=True)
        assert response.status_code == 200, url
        if "<html" in body:
            expected = "zh-Hant-TW" if lang == "zh_TW" else "en"
            assert f'<html lang="{expected}">' in body, url
            if lang == "zh_TW":
                headings = " ".join(re.findall(r"<h1[^>]*>(.*?)</h1>", body, re.S))
                assert re.search(r"[\u4e00-\u9fff]", headings), f"{url}: untranslated heading {headings!r}"
        seen += 1
    assert seen >= 8


def test_chinese_words_in_an_english_text_are_marked_for_screen_readers(app):
    """docs/rules/platform.md#pl3: a Chinese column name inside an English help text is spoken in Chinese."""
    with app.test_request_context():
        with force_locale("en"):
            assert str(mark_chinese("Columns: 姓名, 卡號 <b>")) == (
                'Columns: <span lang="zh-Hant-TW">姓名</span>, <span lang="zh-Hant-TW">卡號</span> &lt;b&gt;')
            assert str(mark_chinese("No Chinese here")) == "No Chinese here"
        with force_locale("zh_TW"):
            assert str(mark_chinese("欄位：姓名 <b>")) == "欄位：姓名 &lt;b&gt;"


def test_templates_follow_a_forced_locale_within_one_request(app):
    """Templates' translations are looked up once per locale and request (platform.i18n.translations), so a
    locale forced for a while (bilingual PDFs) must still switch them, and switch back after."""
    from flask import render_template_string

    from portal.platform.i18n import translations
    line = "{{ _('Volunteers') }} {{ ngettext('%(num)d hour', '%(num)d hours', 2) }}"
    # A fresh application context each (the fixture's own is shared, and with it Flask-Babel's locale).
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "zh-TW"}):
        chinese = render_template_string(line)
        assert translations() is translations()
        with force_locale("en"):
            assert render_template_string(line) == "Volunteers 2 hours"
        assert render_template_string(line) == chinese and "志工" in chinese
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string(line) == "Volunteers 2 hours"
