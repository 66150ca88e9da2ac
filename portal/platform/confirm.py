"""A confirmation step for destructive actions, on the server, so it works without JavaScript.

The action's form posts once: the view validates it and, unless the post says confirm=1, answers with
`ask(...)` — a page that states the consequence in words and posts the same values again with
confirm=1. Only that second post acts. The view stays short:

    if form.validate_on_submit():
        check_version(obj, form)
        if not confirmed():
            return ask(_("End the membership"), consequences, _("Yes, end the membership"), back_url)
        ...act, commit, redirect...
"""
from flask import render_template, request

# Posted values the confirmation page must not copy into its own form.
_NOT_COPIED = {"csrf_token", "confirm"}


def confirmed() -> bool:
    """The post comes from the confirmation page."""
    return request.form.get("confirm") == "1"


def ask(title: str, consequences: list[str], confirm_label: str, back_url: str, *, lead: str = "",
        undo_note: str = ""):
    """The confirmation page: the consequence sentences, then a button that posts the same values to the same
    URL with confirm=1 and a link back that changes nothing. `undo_note` says whether and until when the
    action can be undone."""
    kept = [(name, value) for name, values in request.form.lists() if name not in _NOT_COPIED
            for value in values]
    return render_template("confirm.html", title=title, lead=lead, consequences=consequences,
                           confirm_label=confirm_label, back_url=back_url, kept=kept, undo_note=undo_note,
                           action_url=request.path)
