"""Every hostile value (tests/hostile_values.py) in every query parameter and integer path part of every page:
never a server error, never unescaped markup (docs/rules/platform.md#pl12).

A page's query parameters are found in its view's source and the source of the same module's helpers it
calls (`request.args.get("x")`, `request.args["x"]`, `.getlist("x")`) and in the fields of the GET filter
forms (CSRF off) it names; `page` and `cursor` are sent everywhere.

Cost (CI must stay under 20 minutes; a page costs ~20-30 ms here): downloads are left out, each role has one
signed-in client, and every (page, parameter, value) is sent once in all, not once per role. A page that
reads parameters gets one request per hostile value, each parameter holding a different value (parameter j
of request i holds value i + j), so every parameter sees every value and the filters cannot all fail the
same way at once; the requests are dealt out among the roles that may open the page. A page that reads no
parameter gets one request carrying every value (each under its own name, `page` and `cursor` included),
which is all its templates could echo. Integer path parts get the largest id (it must reach the view
and find nothing); the ids that must not reach any view are checked on the URL map."""
import inspect
import re
import zlib
from urllib.parse import quote

import pytest
from flask import current_app
from werkzeug.exceptions import HTTPException
from werkzeug.routing.converters import NumberConverter
from wtforms import Form as WTForm

from portal.platform import access
from portal.platform.extensions import db
from portal.platform.params import BoundedInt
from tests import security_report
from tests.conftest import login
from tests.hostile_values import HOSTILE, MARKUP, query
from tests.scope_objects import OBJECTS, string_params
from tests.test_i18n import PERSONA_FOR_ROLE

pytestmark = pytest.mark.hostile

ARG = re.compile(r"request\.(?:args|values)(?:\.get|\.getlist)?[(\[]\s*[\"'](\w+)[\"']")
CALL = re.compile(r"\b([A-Za-z_]\w*)\(")
NAME = re.compile(r"\b([A-Z]\w+)\b")
ALWAYS = ("page", "cursor")
DOWNLOADS = (".pdf", "/pdf", ".csv", ".xlsx", ".png", ".jpg", ".css", ".zip", ".json", "/export", "/download",
             "/file", "/preview", "/letter", "/plan", "/photo", "/template", "/qr")
SENTINEL = 987654321
# Integer path parts: the largest id PostgreSQL holds reaches the view (which finds nothing); what must not
# match the route at all is checked on the URL map, for every route, without a request.
PATH_VALUES = ["2147483647"]
NOT_IDS = ["0", "01", "2147483648", "99999999999999999999", "00000000000000000001", "１２", "٣", "²", "-1"]


def _sources(fn, depth=2) -> str:
    """The source of `fn` and of the functions of its own module that it calls, `depth` calls deep."""
    fn = inspect.unwrap(fn)
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        return ""
    parts = [source]
    if depth:
        for name in set(CALL.findall(source)):
            called = fn.__globals__.get(name)
            if inspect.isfunction(called) and called.__module__ == fn.__module__ and called is not fn:
                parts.append(_sources(called, depth - 1))
    return "\n".join(parts)


def query_params(view) -> set[str]:
    """The query parameters `view` reads: its request.args names and the fields of its GET filter forms."""
    source = _sources(view)
    names = set(ARG.findall(source))
    for name in set(NAME.findall(source)):
        cls = inspect.unwrap(view).__globals__.get(name)
        if inspect.isclass(cls) and issubclass(cls, WTForm) and not getattr(cls.Meta, "csrf", True):
            names |= {n for n in dir(cls) if hasattr(getattr(cls, n, None), "field_class")}
    return names


def pages(world):
    """(endpoint, URL, the rule's argument values, its int path parts, query parameters, roles allowed) of
    every GET page but downloads."""
    objects = {name: fn(world) for name, fn in OBJECTS.items()}
    strings = string_params(world)
    for rule in current_app.url_map.iter_rules():
        roles = sorted((access.allowed_roles(rule.endpoint) or set()) & set(PERSONA_FOR_ROLE))
        if rule.endpoint == "static" or "GET" not in rule.methods or not roles:
            continue
        values = {n: objects[n]["A"] for n in rule.arguments if n in OBJECTS}
        values |= {n: strings[n] for n in rule.arguments if n not in OBJECTS and n not in (rule.defaults or {})}
        url = rule.build(values)[1]
        if url.endswith(DOWNLOADS) or "/export" in url or "/download" in url:
            continue
        ints = [n for n, conv in rule._converters.items() if isinstance(conv, (BoundedInt, NumberConverter))]
        yield rule, url, values, ints, query_params(current_app.view_functions[rule.endpoint]), roles


def requests_of(world, role):
    """The (URL, what was sent) this role sends: its share of every page it may open."""
    for rule, url, values, ints, params, roles in pages(world):
        if role not in roles:
            continue
        share = roles.index(role)
        if params:
            names = sorted(params | set(ALWAYS))
            for i in range(share, len(HOSTILE), len(roles)):
                sent = {name: HOSTILE[(i + j) % len(HOSTILE)] for j, name in enumerate(names)}
                yield f"{url}?{query(sent)}", sent
        elif zlib.crc32(rule.endpoint.encode()) % len(roles) == share:
            sent = {"page": HOSTILE[0], "cursor": HOSTILE[1]} | {f"v{i}": v for i, v in enumerate(HOSTILE)}
            yield f"{url}?{query(sent)}", "every value"
        for n, (part, value) in enumerate((p, v) for p in ints for v in PATH_VALUES):
            if n % len(roles) == share:
                path = rule.build({**values, part: SENTINEL})[1].replace(f"/{SENTINEL}", f"/{quote(value)}", 1)
                yield path, (part, value)


def check(client, url, sent, failures):
    """GET `url`; a server error (raised or answered) or markup in the page goes to `failures`."""
    try:
        response = client.get(url)
    except Exception as exc:   # the test app propagates exceptions: each would be a 500 in production
        failures.append((url.split("?")[0], sent, f"{type(exc).__name__}: {str(exc)[:160]}"))
        db.session.rollback()
        return
    if response.status_code >= 500:
        failures.append((url.split("?")[0], sent, response.status_code))
    elif response.mimetype == "text/html" and any(m in response.get_data(as_text=True) for m in MARKUP):
        failures.append((url.split("?")[0], sent, "markup"))
    db.session.rollback()


@pytest.mark.parametrize("role", sorted(PERSONA_FOR_ROLE))
def test_hostile_values_in_every_query_parameter_and_path_part(world, app, role):
    client = login(app.test_client(), world.users[PERSONA_FOR_ROLE[role]])
    failures, sent = [], 0
    for url, what in requests_of(world, role):
        check(client, url, what, failures)
        sent += 1
    assert not failures, f"{len(failures)} of {sent} requests failed:\n" + "\n".join(map(str, failures[:60]))
    assert sent > 40
    security_report.record("GET requests with hostile values in query parameters (each page × parameter × value)", sent)


def test_the_sweep_finds_the_parameters_of_a_filter_form_and_of_request_args(app):
    """The static scan sees the parameters of a filter form used through a helper and of request.args."""
    views = current_app.view_functions
    assert {"unit", "q", "status", "field", "start", "end"} <= query_params(views["hours.index"])
    assert {"open", "q", "kind", "status"} <= query_params(views["certificates.index"])
    assert query_params(views["main.home"]) >= {"page"}


def test_no_route_takes_an_id_beyond_the_database_or_in_other_digits(app):
    """Every <int:...> part of every route (GET and POST) refuses 0, a leading zero, 2^31 and more, and digits
    other than ASCII: the URL is a 404 before any view runs. The largest id matches."""
    adapter = app.url_map.bind("localhost")
    checked = 0
    for rule in app.url_map.iter_rules():
        ints = [n for n, conv in rule._converters.items() if isinstance(conv, (BoundedInt, NumberConverter))]
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        for part in ints:
            values = {n: SENTINEL if n == part else 1 if n in ints else "x" for n in rule.arguments}
            template = rule.build(values)[1]
            good = template.replace(f"/{SENTINEL}", "/2147483647")
            assert adapter.match(good, method=method)[0] == rule.endpoint, good
            for bad in NOT_IDS:
                path = template.replace(f"/{SENTINEL}", f"/{quote(bad)}", 1)
                checked += 1
                try:
                    endpoint, _args = adapter.match(path, method=method)
                except HTTPException as refused:
                    assert refused.code in (404, 405), (path, refused)
                    continue
                assert endpoint != rule.endpoint, path
    assert checked > 50
