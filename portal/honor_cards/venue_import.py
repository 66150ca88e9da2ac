"""The venue import (docs/rules/honor-cards.md#hc14): the ministry's venue survey (風景區及場館優惠調查, annex item
112-4 of the 2024 minutes) with the card form each venue accepts, as CSV or XLSX, through the shared pipeline.

Reading, preview, every bad row reported, all-or-nothing commit and idempotency by file hash are the
pipeline's; this module says what a row means. A venue is the same venue when its county and name match
(names compared with spaces and full-width forms folded): its details are updated; otherwise it is added. The
ministry imports for every county, a county authority for its own only. Every venue written records the
authority and account and an audit line with the batch and file.
"""
import unicodedata

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.imports.pipeline import ImportKind, Plan
from portal.imports.reading import Column, Format, RowProblem, Table
from portal.imports.values import MESSAGES, Refused, cell_text, short_text
from portal.platform import access, audit
from portal.platform.exports import csv_bytes
from portal.platform.extensions import db
from portal.registry.catalog import COUNTIES
from portal.registry.models import AuthorityKind

from .models import CardForm, Discount, Venue
from .scopes import VENUE_IMPORT_KIND

# The survey's columns as the ministry's sheet names them, with the names counties' copies use.
COLUMNS = (
    Column("county", "縣市別", ("縣市", "County")),
    Column("name", "風景區(場館)名稱", ("場館名稱", "風景區名稱", "名稱", "Venue")),
    Column("name_en", "英文名稱", ("Venue (English)",), required=False),
    Column("address", "地址", ("Address",), required=False),
    Column("discount", "優惠方式", ("優惠", "Discount")),
    Column("discount_note", "優惠內容", ("優惠內容說明", "Discount details"), required=False),
    Column("conditions", "適用條件及注意事項", ("適用條件", "備註", "Conditions"), required=False),
    Column("card_forms", "可使用之榮譽卡形式", ("榮譽卡形式", "Card form"), required=True),
    Column("website", "網址", ("網站", "Website"), required=False),
)
SURVEY = Format("venue_survey", _l("MOHW venue survey"), COLUMNS)

_COUNTY_CODES = {unicodedata.normalize("NFKC", n): c.code for c in COUNTIES for n in (c.name, c.name_en, *c.aliases)}
_COUNTY_CODES.update({c.code: c.code for c in COUNTIES})
LIMITS = {"name": 120, "name_en": 200, "address": 200, "discount_note": 200, "conditions": 2000, "website": 300}
SINGLE_LINE = ("name", "name_en", "address", "website")
FIELDS = ("county_code", "name", "name_en", "address", "discount", "discount_note", "conditions", "card_forms",
          "website")

VENUE_MESSAGES = {
    "ministry_or_county": lambda: _("Only the ministry or a county authority may import venues."),
    "county": lambda: _("Write the county or city as 臺北市, 台北市 or Taipei City."),
    "not_your_county": lambda: _("This venue is in another county: a county imports only its own venues."),
    "card_form": lambda: _("Write the card form as 紙本 (paper), 電子 (electronic) or 紙本及電子 (both)."),
    "discount": lambda: _("Write the discount as 免費 (free), 半價 (half price) or 其他 (other)."),
    "website": lambda: _("A web address starts with http:// or https://."),
    "venue_twice": lambda: _("This venue appears twice in the file with different details."),
}


def card_form_of(text: str) -> str | None:
    """HC14: 紙本 → paper, 電子 → electronic, both named (紙本及電子, 紙本、電子) or 皆可/均可/不拘 → both."""
    t = unicodedata.normalize("NFKC", text or "").strip().lower()
    paper, electronic = "紙" in t or "paper" in t, "電子" in t or "electronic" in t or "e-card" in t
    if (paper and electronic) or any(w in t for w in ("皆可", "均可", "不拘", "both")):
        return CardForm.BOTH
    if paper:
        return CardForm.PAPER
    if electronic:
        return CardForm.ELECTRONIC
    return None


def discount_of(text: str) -> str | None:
    """HC14: 免費 (free entry), 半價 (half price), 其他/優待 (another discount, described in 優惠內容)."""
    t = unicodedata.normalize("NFKC", text or "").strip().lower()
    if not t:
        return None
    if "免" in t or t == "free":
        return Discount.FREE
    if "半" in t or t in ("half", "half price"):
        return Discount.HALF
    if "其他" in t or "優" in t or "折" in t or t == "other":
        return Discount.OTHER
    return None


def name_key(county_code: str, name: str) -> tuple[str, str]:
    """A venue's identity: its county and its name with spaces and full-width forms folded."""
    return county_code, "".join(unicodedata.normalize("NFKC", name or "").split())


def _problem(table, row, key, value, code):
    message = VENUE_MESSAGES.get(code) or (lambda: MESSAGES[code]())
    return table.problem(row, key, value, code, message)


def _read(table: Table, row: int, cells: list, problems: list, county_scope: str | None) -> dict:
    values = {}
    raw_county = cell_text(table.cell(cells, "county") or "")
    values["county_code"] = _COUNTY_CODES.get(unicodedata.normalize("NFKC", raw_county))
    if not raw_county:
        problems.append(_problem(table, row, "county", raw_county, "required"))
    elif values["county_code"] is None:
        problems.append(_problem(table, row, "county", raw_county, "county"))
    elif county_scope and values["county_code"] != county_scope:
        problems.append(_problem(table, row, "county", raw_county, "not_your_county"))
    for key, limit in LIMITS.items():
        raw = table.cell(cells, key)
        try:
            values[key] = short_text(raw, limit, single_line=key in SINGLE_LINE)
        except Refused as exc:
            problems.append(table.problem(row, key, raw, exc.code, lambda e=exc: MESSAGES[e.key or e.code](**e.params)))
            values[key] = None      # reported already
    if values["name"] == "":
        problems.append(_problem(table, row, "name", "", "required"))
    if values["website"] and not values["website"].lower().startswith(("http://", "https://")):
        problems.append(_problem(table, row, "website", values["website"], "website"))
    for key, reader in (("discount", discount_of), ("card_forms", card_form_of)):
        raw = cell_text(table.cell(cells, key) or "")
        values[key] = reader(raw)
        if values[key] is None:
            problems.append(_problem(table, row, key, raw, "required" if not raw else
                                     ("discount" if key == "discount" else "card_form")))
    return values


def importer_problem(ctx) -> RowProblem | None:
    """Only the ministry or a county authority (acting in person, or the command line naming one)."""
    authority, user = ctx.authority, ctx.user
    if ctx.unit is not None or authority is None or authority.kind not in (AuthorityKind.MINISTRY,
                                                                          AuthorityKind.COUNTY):
        return RowProblem(None, "", "", "", "ministry_or_county", VENUE_MESSAGES["ministry_or_county"])
    if user is not None and (user.role not in (access.MINISTRY, access.COUNTY) or user.authority_id != authority.id):
        return RowProblem(None, "", "", "", "ministry_or_county", VENUE_MESSAGES["ministry_or_county"])
    return None


def validate(table: Table, ctx) -> Plan:
    body = list(table.rows)      # read once; the national survey has about 500 rows
    plan = Plan(rows=len(body))
    refused = importer_problem(ctx)
    if refused is not None:
        plan.problems.append(refused)
        return plan
    county_scope = ctx.authority.county_code if ctx.authority.kind == AuthorityKind.COUNTY else None
    rows, seen = [], {}
    for number, cells in body:
        problems = []
        values = _read(table, number, cells, problems, county_scope)
        if not problems:
            key = name_key(values["county_code"], values["name"])
            if key in seen:
                if seen[key] == values:
                    plan.duplicates += 1
                    continue
                problems.append(_problem(table, number, "name", values["name"], "venue_twice"))
            else:
                seen[key] = values
                rows.append(values)
        plan.problems += problems
    counties = {v["county_code"] for v in rows}
    existing = {}
    if counties:
        for venue in db.session.scalars(select(Venue).where(Venue.county_code.in_(counties)).order_by(Venue.id)):
            existing.setdefault(name_key(venue.county_code, venue.name), venue)
    added = updated = 0
    for values in rows:
        venue = existing.get(name_key(values["county_code"], values["name"]))
        if venue is not None and venue.active and all(getattr(venue, k) == values[k] for k in FIELDS):
            plan.duplicates += 1
            continue
        added, updated = added + (venue is None), updated + (venue is not None)
        plan.items.append((venue, values))
    plan.summary = {"added": added, "updated": updated}
    return plan


def write(plan: Plan, ctx, batch) -> dict:
    """Add or update the venues (flush); each with its audit line naming the batch and file."""
    user_id = getattr(ctx.user, "id", None)
    for venue, values in plan.items:
        action = "honor_card.venue_import_add" if venue is None else "honor_card.venue_import_update"
        venue = venue or Venue()
        changes = {k: [str(getattr(venue, k) or ""), str(values[k])] for k in FIELDS if getattr(venue, k) != values[k]}
        for key in FIELDS:
            setattr(venue, key, values[key])
        venue.active, venue.authority_id, venue.updated_by_id = True, ctx.authority.id, user_id
        db.session.add(venue)
        db.session.flush()
        audit.record(action, venue, batch=batch.id, file=batch.filename, by_user=user_id, **changes)
    return dict(plan.summary)


def template():
    return csv_bytes([c.header for c in COLUMNS], [["臺北市", "臺北市立動物園", "Taipei Zoo", "臺北市文山區新光路二段30號",
                                                     "免費", "憑卡免費入園", "限持卡本人", "紙本及電子",
                                                     "https://www.zoo.gov.taipei/"]]), \
        "venues-template.csv", "text/csv"


KIND = ImportKind(
    key=VENUE_IMPORT_KIND, label=_l("Honor-card venues"), roles=frozenset({access.MINISTRY, access.COUNTY}),
    formats=(SURVEY,), validate=validate, write=write, scope="authority",
    templates={"venues-template.csv": (_l("Venue survey template (CSV)"), template)},
    page=("honor_cards.venue_import_show", "venue_batch_id"),
)
