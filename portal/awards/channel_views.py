"""The award-channel statistics of a round (docs/rules/awards.md#a10): per applying body, the counting online
and paper applications, their shares and the body's class, the totals of the user's scope, a chart, and the
table as CSV and XLSX. The ministry sees every body, a county its county's units, a sector authority its own
body; rounds are national, so any authority may open any round (it counts only its own units in it)."""
import hashlib

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from portal.platform import access, audit, downloads
from portal.platform.charts import stacked_bar_chart
from portal.platform.database import expect_write, reads_from_replica
from portal.platform.exports import csv_bytes, csv_response, xlsx_bytes
from portal.platform.extensions import db
from portal.platform.i18n import is_chinese
from portal.platform.params import id_or_none
from portal.platform.timeutil import today_taipei

from . import bp
from .channels import READERS, BodyClass, BodyRow, body_rows, channel_unit_scope, get_round_or_404, summarise
from .labels import round_label
from .models import AwardRound
from .rules import SECTOR_ROLES

CLASS_LABELS = {BodyClass.FULLY_ONLINE: _l("Fully online"), BodyClass.PARTLY_ONLINE: _l("Partly online"),
                BodyClass.PAPER_ONLY: _l("Paper only")}
CLASS_BADGES = {BodyClass.FULLY_ONLINE: "badge-valid", BodyClass.PARTLY_ONLINE: "badge-pending",
                BodyClass.PAPER_ONLY: "badge-rejected"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def body_name(row: BodyRow) -> str:
    if row.body_id is None:
        return _("Units without a sector authority")
    return row.name_en if row.name_en and not is_chinese() else row.name


def pct_text(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def scope_words(user) -> str:
    if user.role == access.MINISTRY:
        return _("All applying bodies in the country")
    if user.role in SECTOR_ROLES:
        return _("Your own applications (the units you forward for)")
    return _("The applying bodies of your county's units")


def table(award_round: AwardRound, user) -> tuple[list[BodyRow], dict]:
    rows = body_rows(award_round.id, channel_unit_scope(user))
    return rows, summarise(award_round.id, rows)


def header() -> list[str]:
    return [_("Applying body"), _("Eligible volunteers"), _("Online applications"), _("Online share") + " (%)", _("Paper applications"), _("Paper share") + " (%)",
            _("Class")]


def lines(rows: list[BodyRow], summary: dict) -> list[list]:
    """The body rows and, last, the totals with the count of bodies per class in the class column."""
    body = [[body_name(r), r.eligible, r.online, pct_text(r.online_pct), r.paper, pct_text(r.paper_pct),
             str(CLASS_LABELS[r.body_class])] for r in rows]
    classes = "; ".join(f"{CLASS_LABELS[c]} {summary[c.value]}" for c in BodyClass)
    return body + [[_("Total"), summary["eligible"], summary["online"], pct_text(summary["online_pct"]),
                    summary["paper"], pct_text(summary["paper_pct"]), classes]]


def summary_sheet(award_round: AwardRound, summary: dict) -> list[list]:
    return [[_("Award round"), round_label(award_round)], [_("Applying bodies"), summary["bodies"]],
            [_("Eligible volunteers"), summary["eligible"]], [_("Online applications"), summary["online"]],
            [_("Online share") + " (%)", pct_text(summary["online_pct"])], [_("Paper applications"), summary["paper"]],
            [_("Paper share") + " (%)", pct_text(summary["paper_pct"])]] + \
        [[str(CLASS_LABELS[c]), summary[c.value]] for c in BodyClass]


@bp.get("/channels")
@access.allow(*READERS)
def channels_latest():
    """The statistics of the round asked for (?round=), else of the newest round."""
    chosen = request.args.get("round", "")
    round_id = id_or_none(chosen) or db.session.scalar(
        select(AwardRound.id).order_by(AwardRound.year.desc(), AwardRound.id.desc()).limit(1))
    if round_id is None:
        return redirect(url_for(".review"))
    return redirect(url_for(".channels", channel_round_id=round_id))


@bp.get("/rounds/<int:channel_round_id>/channels")
@access.allow(*READERS)
@reads_from_replica
def channels(channel_round_id):
    award_round = get_round_or_404(channel_round_id, current_user)
    rows, summary = table(award_round, current_user)
    chart = stacked_bar_chart([(body_name(r), [r.online, r.paper]) for r in rows], [_("Online applications"), _("Paper applications")],
                              title=_("Eligible volunteers per applying body, online and on paper"), unit="")
    rounds = db.session.scalars(select(AwardRound).order_by(AwardRound.year.desc(), AwardRound.id.desc())).all()
    return render_template("awards/channels.html", award_round=award_round, rows=rows, summary=summary, chart=chart,
                           rounds=rounds, scope=scope_words(current_user), class_labels=CLASS_LABELS,
                           class_badges=CLASS_BADGES, body_name=body_name, pct_text=pct_text, classes=list(BodyClass))


def _filename(award_round: AwardRound, ext: str) -> str:
    return f"award-channels-{award_round.scheme}-{award_round.year}-{today_taipei().isoformat()}.{ext}"


@bp.get("/rounds/<int:channel_round_id>/channels.csv")
@access.allow(*READERS)
def channels_csv(channel_round_id):
    expect_write()
    award_round = get_round_or_404(channel_round_id, current_user)
    rows, summary = table(award_round, current_user)
    head, body = header(), lines(rows, summary)
    audit.record("award.channels_export", award_round, format="csv", rows=len(body),
                 sha256=hashlib.sha256(csv_bytes(head, body)).hexdigest())
    db.session.commit()
    return csv_response(_filename(award_round, "csv"), head, body)


@bp.get("/rounds/<int:channel_round_id>/channels.xlsx")
@access.allow(*READERS)
def channels_xlsx(channel_round_id):
    expect_write()
    award_round = get_round_or_404(channel_round_id, current_user)
    rows, summary = table(award_round, current_user)
    content = xlsx_bytes([(_("Applying bodies")[:31], header(), lines(rows, summary)),
                          (_("Summary")[:31], [], summary_sheet(award_round, summary))])
    audit.record("award.channels_export", award_round, format="xlsx", rows=len(rows) + 1,
                 sha256=hashlib.sha256(content).hexdigest())
    db.session.commit()
    return downloads.send(content, _filename(award_round, "xlsx"), XLSX_TYPE)

