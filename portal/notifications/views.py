"""The inbox (every signed-in user, their own notifications only), the preferences, and the admin's outbox."""
from flask import Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.platform import access
from portal.platform.database import expect_write
from portal.platform.extensions import db
from portal.platform.htmx import is_fragment_request, page_or_fragment, render_block
from portal.platform.pagination import CURSOR_ARG, keyset

from . import bp, events, labels
from .dispatch import start_delivery
from .forms import PreferencesForm, preference_rows
from .models import OutboxStatus
from .operations import (
    UNREAD_CAP,
    mark_all_read,
    mark_read,
    outbox_counts,
    preferences_of,
    retry_message,
    set_preferences,
    unread_count,
)
from .rules import channel_enabled
from .scopes import INBOX_ORDER, OUTBOX_LISTS, get_message_or_404, get_notification_or_404, inbox_query, outbox_query

PER_PAGE = 25


def unread_label() -> str:
    """The header's count for the signed-in user ("" when none; "99+" past the cap), once per request."""
    if not current_user.is_authenticated:
        return ""
    if "unread_label" not in g:
        count = unread_count(current_user)
        g.unread_label = "" if not count else (f"{UNREAD_CAP}+" if count > UNREAD_CAP else str(count))
    return g.unread_label


bp.context_processor(lambda: {**labels.JINJA, "show_outbox": access.may_call("notifications.outbox")})


@bp.get("/style.css")
@access.allow(*access.SIGNED_IN)
def stylesheet():
    """The pages' own rules, served here so that they stay with the package and need no inline style."""
    response = Response(render_template("notifications/style.css"), mimetype="text/css")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def header_context():
    return {"unread_notifications": unread_label}


def safe_link(link: str) -> str | None:
    """A notification's link if it is a path of this portal (never another site)."""
    return link if link.startswith("/") and not link.startswith(("//", "/\\")) else None


def _inbox(**extra):
    page = keyset(inbox_query(current_user), INBOX_ORDER, request.args.get(CURSOR_ARG), PER_PAGE, count=False)
    rows = [(n, *events.inbox_text(n.event, n.params)) for n in page.items]
    return {"page": page, "rows": rows, **extra}


@bp.get("/")
@access.allow(*access.SIGNED_IN)
def index():
    return page_or_fragment("notifications/index.html", "results", **_inbox())


@bp.get("/<int:notification_id>/open")
@access.allow(*access.SIGNED_IN)
def open_link(notification_id):
    """Following a notification marks it read, then goes to the thing it is about."""
    expect_write()
    notification = get_notification_or_404(notification_id, current_user)
    if mark_read(notification):
        db.session.commit()
    return redirect(safe_link(notification.link) or url_for(".index"))


@bp.post("/<int:notification_id>/read")
@access.allow(*access.SIGNED_IN)
def read(notification_id):
    notification = get_notification_or_404(notification_id, current_user)
    if mark_read(notification):
        db.session.commit()
    if is_fragment_request():
        title, text = events.inbox_text(notification.event, notification.params)
        g.pop("unread_label", None)
        return (render_block("notifications/index.html", "row", n=notification, title=title, text=text,
                             focus=True)
                + render_template("notifications/_header_link.html", oob=True))
    return redirect(url_for(".index"))


@bp.post("/read-all")
@access.allow(*access.SIGNED_IN)
def read_all():
    done = mark_all_read(current_user)
    db.session.commit()
    notice = _("Notifications marked as read: %(num)d.", num=done) if done else _("There were no unread notifications.")
    if is_fragment_request():
        g.pop("unread_label", None)
        return (render_block("notifications/index.html", "results", notice=notice, **_inbox())
                + render_template("notifications/_header_link.html", oob=True))
    flash(notice, "success")
    return redirect(url_for(".index"))


@bp.route("/preferences", methods=["GET", "POST"])
@access.allow(*access.SIGNED_IN)
def preferences():
    rows = preference_rows(current_user.role)
    form = PreferencesForm()
    if form.validate_on_submit():
        chosen = set(request.form.getlist("on"))
        choices = {(e.key, channel): f"{e.key}:{channel}" in chosen for e in rows for channel in form.channels
                   if channel not in e.always}
        changes = set_preferences(current_user, choices)
        db.session.commit()
        flash(_("Your notification settings were saved.") if changes else _("Nothing was changed."), "success")
        return redirect(url_for(".preferences"))
    stored = preferences_of(current_user)

    def enabled(event, channel):
        return channel_enabled(event.key, channel, stored, always=event.always)
    return render_template("notifications/preferences.html", form=form, rows=rows, enabled=enabled,
                           channels=form.channels, has_email=bool(current_user.contact_email),
                           has_phone=bool(current_user.contact_phone))


@bp.get("/outbox")
@access.allow(access.ADMIN)
def outbox():
    which = request.args.get("status") if request.args.get("status") in OUTBOX_LISTS else "waiting"
    query, order = outbox_query(which)
    page = keyset(query, order, request.args.get(CURSOR_ARG), 50)
    return page_or_fragment("notifications/outbox.html", "results", page=page, which=which,
                            counts=outbox_counts(), lists=OUTBOX_LISTS, OutboxStatus=OutboxStatus,
                            list_label=lambda key: str(labels.LIST_LABELS[key]),
                            max_attempts=current_app.config["NOTIFY_MAX_ATTEMPTS"])


@bp.post("/outbox/<int:message_id>/retry")
@access.allow(access.ADMIN)
def retry(message_id):
    message = get_message_or_404(message_id)
    if retry_message(message, current_user):
        db.session.commit()
        flash(_("The message will be sent again now."), "success")
    else:
        flash(_("This message was sent or is being sent meanwhile; nothing was changed."), "warning")
    return redirect(url_for(".outbox", status=request.form.get("status") or None))


@bp.post("/outbox/send")
@access.allow(access.ADMIN)
def send_now():
    """Start a delivery now (e.g. after the mail server is back) rather than at the next scheduled run."""
    if start_delivery() is None:
        flash(_("A delivery is already waiting to start."), "info")
    else:
        flash(_("Delivery started: messages that are due are being sent."), "success")
    return redirect(url_for(".outbox"))
