"""Every event the portal tells people about: its subject and text in both languages, which params it
takes, which roles may get it (the preferences page lists those), and its channels that ignore preferences.

The emitters (A2's feature operations, accounts, unit registration) call
`operations.notify(users, "<key>", link=url_for(...), **params)` with plain params (str, int, float; dates as
ISO strings). Texts are rendered in the reader's language: the inbox when shown, e-mail and SMS when queued
(force_locale(user.locale)). Coded params (decision, change, how, role, kind, card_kind, status) are
translated here; any other param is shown as given (names of units, people, rounds, courses).
Size: one table of ~20 events with both languages' texts; splitting it would scatter the texts.
"""
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app, has_request_context, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.documents.kinds import kind_label
from portal.platform import access
from portal.platform.i18n import DEFAULT as DEFAULT_LOCALE
from portal.platform.i18n import format_date, format_datetime
from portal.registry.labels import role_label

from .models import Channel

VOLUNTEER = (access.VOLUNTEER,)
UNIT_STAFF = access.UNIT_STAFF
AUTHORITIES = access.AUTHORITIES
STAFF = access.UNIT_STAFF + access.AUTHORITIES
EVERYONE = access.ROLES
DATE_PARAMS = ("date", "expires_on", "due_on", "deadline")
TIME_PARAMS = ("when",)


@dataclass(frozen=True)
class Event:
    key: str
    label: object            # the preferences page's row (lazy)
    subject: object          # lazy, with %(param)s placeholders
    text: object             # lazy: the one sentence of the inbox and the e-mail's first paragraph
    roles: tuple = ()        # who may get it (the preferences page); () for mail to applicants only
    params: tuple = ()
    labels: Mapping[str, Mapping | Callable] = field(default_factory=dict)   # coded params -> translated
    always: tuple = ()       # channels sent whatever the preferences say (security e-mails)


# Lost-certificate cases are accepted or refused: said as approved or declined, like claims.
DECISIONS = {"approved": _l("approved"), "rejected": _l("declined"), "accepted": _l("approved"),
             "refused": _l("declined"), "returned": _l("returned")}
CHANGES = {"corrected": _l("corrected"), "voided": _l("voided"), "restored": _l("counted again (the void was undone)")}
DISPUTE_OUTCOMES = {"kept": _l("the entry stays as it is"), "corrected": _l("the entry was corrected"),
                    "voided": _l("the entry was voided")}
HOWS = {"change": _l("by you"), "reset": _l("reset by an administrator"),
        "recovery": _l("through password recovery")}
CARD_KINDS = {"first": _l("first issue"), "renewal": _l("renewal"), "reissue": _l("reissue")}
IMPORT_KINDS = {"hours": _l("service hours"), "roster": _l("volunteer roster"), "volunteers": _l("volunteer roster"),
                "training": _l("training records"),
                "honor_cards": _l("honor cards"), "other_awards": _l("other awards"),
                "insurer_roster": _l("insurer's roster")}
IMPORT_STATUSES = {"previewed": _l("checked, waiting for your confirmation"), "committed": _l("saved"),
                   "discarded": _l("discarded"), "failed": _l("failed")}

_EVENTS = [
    Event("hours.claim_decided", _l("My hour claim was decided"),
          _l("Your hour claim was %(decision)s"),
          _l("Your claim of %(hours)s hours on %(date)s at %(unit)s was %(decision)s."),
          VOLUNTEER, ("unit", "date", "hours", "decision", "reason"), {"decision": DECISIONS}),
    Event("hours.entry_changed", _l("An entry of my hours was corrected or voided"),
          _l("An entry of your service hours was %(change)s"),
          _l("Your entry of %(hours)s hours on %(date)s at %(unit)s was %(change)s."),
          VOLUNTEER, ("unit", "date", "hours", "change", "reason"), {"change": CHANGES}),
    Event("hours.dispute_opened", _l("A volunteer disputes an hour entry"),
          _l("A volunteer disputes an hour entry"),
          _l("%(person)s disputes the entry of %(hours)s hours on %(date)s."),
          UNIT_STAFF, ("person", "date", "hours", "reason")),
    Event("hours.dispute_answered", _l("My dispute of an hour entry was answered"),
          _l("Your dispute of an hour entry was answered: %(outcome)s"),
          _l("Your dispute of the entry of %(hours)s hours on %(date)s at %(unit)s was answered: %(outcome)s."),
          VOLUNTEER, ("unit", "date", "hours", "outcome", "reason"), {"outcome": DISPUTE_OUTCOMES}),
    Event("records.book_issued", _l("My record book was issued"),
          _l("Your volunteer service record book was issued"),
          _l("Your record book number %(number)s was issued (%(unit)s)."),
          VOLUNTEER, ("unit", "number")),
    Event("honor_cards.approved", _l("My honor card was approved"),
          _l("Your honor card application was approved"),
          _l("Your application for an honor card (%(card_kind)s) was approved."),
          VOLUNTEER, ("card_kind", "reason"), {"card_kind": CARD_KINDS}),
    Event("honor_cards.returned", _l("An honor card application was returned"),
          _l("An honor card application was returned"),
          _l("The honor card application (%(card_kind)s) was returned."),
          VOLUNTEER + UNIT_STAFF, ("card_kind", "reason"), {"card_kind": CARD_KINDS}),
    Event("honor_cards.expiring", _l("My honor card expires soon"),
          _l("Your honor card expires on %(expires_on)s"),
          _l("Your volunteer honor card is valid until %(expires_on)s. Your unit can apply for a renewal."),
          VOLUNTEER, ("expires_on",)),
    Event("certificates.requested", _l("A volunteer requested a certificate"),
          _l("A certificate was requested"),
          _l("%(person)s requested a certificate: %(kind)s."),
          UNIT_STAFF, ("person", "kind"), {"kind": kind_label}),
    Event("certificates.issued", _l("My certificate was issued"),
          _l("Your certificate was issued: %(kind)s"),
          _l("Your certificate (%(kind)s) was issued. You can download it in the portal."),
          VOLUNTEER, ("kind",), {"kind": kind_label}),
    Event("certificates.due", _l("A certificate request is due soon"),
          _l("A certificate is due on %(due_on)s"),
          _l("The certificate (%(kind)s) requested by %(person)s is due on %(due_on)s."),
          UNIT_STAFF, ("person", "kind", "due_on"), {"kind": kind_label}),
    Event("insurance.age_cap", _l("A volunteer reaches the insurer's age cap"),
          _l("%(person)s reaches the insurer's age cap on %(date)s"),
          _l("%(person)s (%(unit)s) reaches %(cap)s, the age cap of %(insurer)s, on %(date)s, during the cover of "
             "policy %(policy)s. Check with the insurer and the county authority how they stay insured."),
          UNIT_STAFF + (access.COUNTY,), ("person", "unit", "cap", "insurer", "policy", "date")),
    Event("insurance.policy_ending", _l("An insurance policy ends soon"),
          _l("Insurance policy %(policy)s ends on %(date)s"),
          _l("Policy %(policy)s (%(insurer)s) ends on %(date)s. Record the next policy and enrol the volunteers, "
             "so that their service stays insured."),
          UNIT_STAFF + (access.COUNTY,), ("policy", "insurer", "date")),
    Event("awards.forwarded", _l("An award application waits for my review"),
          _l("An award application waits for your review"),
          _l("The award application of %(person)s (%(round)s) was forwarded to you."),
          STAFF, ("round", "person")),
    Event("awards.returned", _l("An award application was returned"),
          _l("An award application was returned"),
          _l("The award application of %(person)s (%(round)s) was returned."),
          STAFF, ("round", "person", "reason")),
    Event("awards.approved", _l("An award was approved"),
          _l("An award was approved"),
          _l("The award application of %(person)s (%(round)s) was approved."),
          VOLUNTEER + STAFF, ("round", "person")),
    Event("awards.round_deadline", _l("An award round closes soon"),
          _l("Deadline of %(round)s: %(deadline)s"),
          _l("Applications for %(round)s close on %(deadline)s. Days left: %(days)s."),
          UNIT_STAFF, ("round", "deadline", "days")),
    Event("imports.finished", _l("My import finished"),
          _l("Your import finished: %(kind)s"),
          _l("The import of %(kind)s finished: %(status)s, %(rows)s rows."),
          STAFF, ("kind", "rows", "status"), {"kind": IMPORT_KINDS, "status": IMPORT_STATUSES}),
    Event("training.case_decided", _l("A lost training certificate case was decided"),
          _l("A lost training certificate case was decided"),
          _l("The case about %(course)s was %(decision)s."),
          VOLUNTEER + UNIT_STAFF, ("course", "decision", "reason"), {"decision": DECISIONS}),
    Event("accounts.password_changed", _l("My password was changed"),
          _l("Your password was changed"),
          _l("The password of your account was changed (%(how)s). If this was not you, contact your unit or "
             "county at once."),
          EVERYONE, ("how",), {"how": HOWS}, always=(Channel.EMAIL,)),
    Event("accounts.new_device", _l("My account was signed in on a new device"),
          _l("New sign-in to your account"),
          _l("Your account was signed in on %(when)s from a new device (%(device)s). If this was not you, "
             "change your password at once."),
          EVERYONE, ("device", "when"), always=(Channel.EMAIL,)),
    Event("accounts.created", _l("An account was created for me"),
          _l("Your account was created"),
          _l("An account was created for you: username %(username)s, role %(role)s. Sign in and set your own "
             "password."),
          EVERYONE, ("username", "role"), {"role": role_label}),
    Event("unit_registration.submitted", _l("A using unit applied for registration"),
          _l("A using unit applied for registration"),
          _l("%(unit_name)s applied to register as a using unit."),
          AUTHORITIES, ("unit_name",)),
    Event("unit_registration.approved", _l("Unit registration approved"),
          _l("Your unit registration was approved"),
          _l("The registration of %(unit_name)s was approved. The first supervisor account is %(username)s."),
          (), ("unit_name", "username")),
    Event("unit_registration.returned", _l("Unit registration returned"),
          _l("Your unit registration was returned"),
          _l("The registration of %(unit_name)s was returned."),
          (), ("unit_name", "reason")),
    Event("digest.daily", _l("Daily summary of my work list"),
          _l("Your work list: %(count)s items waiting"),
          _l("%(count)s items are waiting on your work list."),
          STAFF, ("count",)),
]

EVENTS: dict[str, Event] = {e.key: e for e in _EVENTS}


def get(key: str) -> Event:
    """The event of `key`; KeyError for a key that is not in the table (a typo must not pass silently)."""
    return EVENTS[key]


def for_role(role: str) -> list[Event]:
    """The events an account of `role` may get, in the table's order (the preferences page)."""
    return [e for e in _EVENTS if role in e.roles]


class _Values(dict):
    """Params for %-formatting: a param the emitter left out reads as empty instead of failing."""

    def __missing__(self, key):
        return ""


def _shown(event: Event, name: str, value) -> str:
    if value is None:
        return ""
    labels = event.labels.get(name)
    if callable(labels):
        return str(labels(value))
    if labels is not None:
        return str(labels.get(value, value))
    if name in DATE_PARAMS and isinstance(value, str):
        try:
            return format_date(date.fromisoformat(value))
        except ValueError:
            return value
    if name in TIME_PARAMS and isinstance(value, str):
        try:
            return format_datetime(datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def values(event: Event, params: Mapping) -> _Values:
    return _Values({name: _shown(event, name, value) for name, value in (params or {}).items()})


def inbox_text(key: str, params: Mapping) -> tuple[str, str]:
    """(title, text) of an inbox row in the current language; the reason, when given, ends the text."""
    event = EVENTS.get(key)
    if event is None:   # an event retired since: the key is all there is to show
        return key, ""
    shown = values(event, params)
    text = str(event.text) % shown
    if shown.get("reason"):
        text += " " + _("Reason: %(reason)s", reason=shown["reason"])
    return str(event.subject) % shown, text


def path_for(endpoint: str, **values) -> str:
    """url_for's path of an endpoint, also outside a request (jobs, CLI), where url_for needs SERVER_NAME."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)


def base_url() -> str:
    """Where the portal is, for links in e-mails: PUBLIC_BASE_URL, else the host of the current request."""
    configured = current_app.config.get("PUBLIC_BASE_URL") or ""
    if configured:
        return configured.rstrip("/")
    return request.host_url.rstrip("/") if has_request_context() else ""


def render_message(key: str, params: Mapping, locale: str | None = None, *, link: str | None = None,
                   preferences_link: str | None = None) -> tuple[str, str]:
    """(subject, body) of the e-mail or SMS of an event in `locale` (the recipient's; default Chinese).
    Also for queue_message callers that write to an address without an account (unit registration)."""
    with force_locale(locale or DEFAULT_LOCALE):
        subject, text = inbox_text(key, params)
        parts = [text]
        root = base_url()
        if link:
            parts.append(_("Open in the portal: %(url)s", url=root + link))
        parts.append("-- \n" + _("Volunteer Service Records Portal"))
        if preferences_link:
            parts[-1] += "\n" + _("You get this message because of your notification settings: %(url)s",
                                  url=root + preferences_link)
        return subject, "\n\n".join(parts)
