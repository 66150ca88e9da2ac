"""The texts of the codes and links this package sends, in the language of the person who asked (an account's
own language for recovery). A text message carries only what fits: the code, its minutes, the link."""
from flask import current_app, has_request_context, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from .rules import CODE_MINUTES, LINK_MINUTES, Channel


def external_url(endpoint: str, **values) -> str:
    """An address that works from a mail client: PUBLIC_BASE_URL when set, else the request's host."""
    path = url_for(endpoint, **values)
    base = current_app.config.get("PUBLIC_BASE_URL") or (request.host_url if has_request_context() else "")
    return base.rstrip("/") + path


def _signature() -> str:
    return "-- \n" + _("Volunteer Service Records Portal")


def activation_message(code: str, channel: str, locale: str | None) -> tuple[str, str]:
    with force_locale(locale):
        subject = _("Your code to activate your volunteer account")
        if channel == Channel.SMS:
            return subject, _("Volunteer portal: your activation code is %(code)s (valid %(n)d minutes). "
                              "Never give it to anyone.", code=code, n=CODE_MINUTES)
        body = [_("Your code to activate your account on the volunteer service records portal is %(code)s.",
                  code=code),
                _("It is valid for %(n)d minutes. Enter it with your ID number on this page: %(url)s",
                  n=CODE_MINUTES, url=external_url("accounts.activate_code")),
                _("If you did not ask for a code, ignore this message: nothing changes without it. Never give "
                  "the code to anyone, not even to staff of your unit."),
                _signature()]
        return subject, "\n\n".join(body)


def recovery_message(code: str, link: str, channel: str, locale: str | None) -> tuple[str, str]:
    with force_locale(locale):
        subject = _("Choosing a new password")
        if channel == Channel.SMS:
            return subject, _("Volunteer portal: your code for a new password is %(code)s (valid %(n)d minutes), "
                              "or open %(url)s", code=code, n=CODE_MINUTES, url=link)
        body = [_("Someone asked to choose a new password for your account on the volunteer service records "
                  "portal. Open this link within %(n)d minutes:", n=LINK_MINUTES),
                link,
                _("Or enter this code on the page where you asked (valid %(n)d minutes): %(code)s",
                  n=CODE_MINUTES, code=code),
                _("If it was not you, ignore this message: your password stays as it is."),
                _signature()]
        return subject, "\n\n".join(body)
