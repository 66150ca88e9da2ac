"""Column layouts shared by import and export: the MOHW 17-column template and the portal's own."""

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.imports.reading import Column
from portal.platform.dates import format_roc_compact
from portal.platform.exports import bilingual_rows, xlsx_bytes
from portal.platform.i18n import format_date, localized
from portal.platform.params import one_line
from portal.registry.catalog import FIELD_BY_CODE

# docs/rules/imports.md#im1, in this order.
MOHW_COLUMNS = [
    Column("name", "姓名"),
    Column("id_number", "身分證字號"),
    Column("start_on", "服務日期起"),
    Column("end_on", "服務日期訖"),
    Column("item_code", "服務項目", required=False),
    Column("content_code", "服務內容", required=False),
    Column("hours", "服務時數-小時"),
    Column("minutes", "服務時數-分鐘"),
    Column("persons_served", "受服務人次", required=False),
    Column("transport_fee", "交通費", required=False),
    Column("meal_fee", "誤餐費", required=False),
    Column("area_code", "服務區域", required=False),
    Column("remarks", "備註", required=False),
    Column("action", "匯入動作", required=False),
    Column("sequence_no", "序號", required=False),
    Column("served_abroad", "國外參與服務人次", required=False),
    Column("served_domestic", "國內參與服務人次", required=False),
]

PORTAL_COLUMNS = [
    Column("id_number", "身分證字號 ID number", ("身分證字號", "ID number", "ID")),
    Column("name", "姓名 Name", ("姓名", "Name")),
    Column("start_on", "服務日期起 Start date", ("服務日期起", "服務日期", "Start date", "Date")),
    Column("end_on", "服務日期訖 End date", ("服務日期訖", "End date"), required=False),
    Column("hours", "時數 Hours", ("時數", "服務時數", "Hours")),
    Column("field", "服務類別 Service field", ("服務類別", "Service field", "Field"), required=False),
    Column("content", "服務內容 Content", ("服務內容", "Content"), required=False),
    Column("persons_served", "受服務人次 Persons served", ("受服務人次", "Persons served"), required=False),
    Column("remarks", "備註 Remarks", ("備註", "Remarks"), required=False),
]

INSTRUCTIONS = [
    _l("How to fill in this template"),
    _l("One row per volunteer and service day (or date range, e.g. one month). Keep the first row."),
    _l("ID number: the national ID or resident certificate number, e.g. A123456789. Name: as registered."),
    _l("Dates: ROC 113/09/10 or 1130910, or ISO 2024-09-10. Leave the end date empty for a single day."),
    _l("Hours: in steps of 0.5 (2, 2.5, 3 …); at most 24 per person and day across all units."),
    _l("Service field: optional; empty means your unit's main field."),
    _l("From 2026 hours count only with verified basic and special training for the field."),
    _l("Upload the file on the Imports page: nothing is saved until you confirm the preview."),
]


def portal_row(entry, full_id: bool, chinese: bool | None = None) -> list:
    """One row of the portal's layout, dates and field in the page's language (`chinese`: known already)."""
    person = entry.person
    return [person.id_number if full_id else person.masked_id, person.name, format_date(entry.start_on, chinese=chinese),
            format_date(entry.end_on, chinese=chinese) if entry.end_on != entry.start_on else "", entry.half_hours / 2,
            localized(FIELD_BY_CODE.get(entry.field_code), chinese=chinese), entry.content, entry.persons_served,
            entry.remarks]


def mohw_row(entry, full_id: bool, chinese: bool | None = None) -> list:
    """One row of the ministry's template. Its texts are one line each (docs/rules/platform.md#pl12): a line
    break in a value stored before that rule would split the row in the ministry's system. Its dates are ROC in
    every language, so `chinese` (portal_row's argument, for export_rows) changes nothing here."""
    person = entry.person
    return [one_line(person.name), person.id_number if full_id else person.masked_id,
            format_roc_compact(entry.start_on), format_roc_compact(entry.end_on), one_line(entry.item_code),
            one_line(entry.content_code), entry.half_hours // 2, 30 * (entry.half_hours % 2), entry.persons_served,
            entry.transport_fee, entry.meal_fee, one_line(entry.area_code), one_line(entry.remarks), "A",
            str(entry.id), entry.served_abroad, entry.served_domestic]


def headers(layout: str) -> list[str]:
    return [c.header for c in (MOHW_COLUMNS if layout == "mohw" else PORTAL_COLUMNS)]


def portal_template() -> bytes:
    with force_locale("zh_TW"):
        data_title, help_title = _("Hours"), _("Instructions")
    with force_locale("en"):
        data_title, help_title = f"{data_title} {_('Hours')}", f"{help_title} {_('Instructions')}"
    return xlsx_bytes([(data_title[:31], headers("portal"), []),
                       (help_title[:31], [], bilingual_rows(INSTRUCTIONS))])


def mohw_template() -> bytes:
    return xlsx_bytes([("Sheet1", headers("mohw"), [])])
