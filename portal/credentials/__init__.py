"""Verifiable credentials beside the issued documents (issue 16; docs/rules/credentials.md): for every document a
W3C Verifiable Credential 2.0 / Open Badges 3.0 credential signed with eddsa-rdfc-2022 by the portal's did:web
key, a Bitstring Status List per issuer kept in the document's transaction, and the public pages that serve and
check them.

Floor: just above portal.documents (reads documents and registry); the document engine never imports it:
create_app calls init_app, which installs the session listener of hooks.py.
"""
from flask import Blueprint, Flask

bp = Blueprint("credentials", __name__)

from . import cli, hooks, views  # noqa: E402,F401


def init_app(app: Flask) -> None:
    hooks.install()
    app.cli.add_command(cli.group)
