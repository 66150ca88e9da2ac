"""Open redirects (docs/rules/accounts.md#ac9): one helper, `portal.auth.rules.safe_next`, decides every
redirect target that comes from the request (sign-in `next`, the language switch, the record-book request
form). Known bypass forms are generated systematically: every way of writing "another host" or "a
scheme" (slashes, backslashes, tabs and line breaks a browser strips, percent-encodings once, twice and
three times, full-width and ideographic look-alikes, dot segments, invisible characters, mixed-case
schemes, leading spaces and controls) is combined with several host spellings. Each must be refused; the
portal's own paths, with their queries and fragments, Chinese search words included, must be kept."""
import itertools
from urllib.parse import quote

import pytest

from portal.auth.rules import MAX_DECODINGS, MAX_NEXT_LENGTH, safe_next
from tests import security_report
from tests.conftest import PASSWORD

pytestmark = pytest.mark.redirects

HOSTS = ["evil.example", "evil.example/hours/", "localhost@evil.example", "evil.example:443/?next=/"]

# Prefixes that, followed by a host, take a browser (or a proxy that decodes) to that host or scheme.
# Each entry is written as a browser receives it in a `next` value.
LEAVING = [
    "//", "///", "////", "/\\", "\\/", "\\\\", "\\", "/\\/", "\\//",
    "/\t/", "/\n/", "/\r/", "/\r\n/", "\t//", "\n//", " //", "  /\\", "\x00//", "/\x00/", "/\x0b/", "/\x0c/",
    "/\x7f/", "/\x85/", "/\u2028/", "/\u2029/", "/\u200b/", "/\u202e/", "/\ufeff/", "\ufeff//",
    "/%09/", "/%0a/", "/%0d%0a/", "/%00/", "/%2f", "/%2F", "/%2f%2f", "/%2F%2F", "%2f%2f", "%2F/",
    "/%5c", "/%5C", "%5c%5c", "/%5c%5c", "/%2f%5c", "/%252f", "/%252f%252f", "/%25252f", "/%2525252f",
    "/%255c", "/%25%32%66", "/%%32%66",
    "/.//", "/./\\", "/.%2f/", "/%2e//", "/%2e%2e//", "/a/..//", "/./%2f", "/..//", "/x/../..//",
    "／／", "/／", "＼＼", "/＼", "\uff0f/", "/\u3002", "//\u3002", "/\u2215", "/\u2044/", "/\u29f8",
    "https:", "https:/", "https://", "http:/\\/", "http:\\\\", "HtTpS://", "HTTPS://", "hTTp:/\\",
    "https:%2f%2f", "http%3a//", "http%3A%2F%2F", " https://", "\x01https://", "\thttps://", "https:/%5c",
    "javascript:alert(1)//", "JaVaScRiPt:alert(1)//", "java\tscript:alert(1)//", "java%0ascript:alert(1)//",
    "%6Aavascript:alert(1)//", "data:text/html,<a href=//", "vbscript:msgbox(1)//", "ftp://", "file://",
    "ht%09tp://", "/https://", "\\/\\/", "/\\\\/", "//%09/", "/ /", "/ %2f", "/a//", "/hours//",
]


def bypass_forms() -> list[str]:
    forms = {prefix + host for prefix, host in itertools.product(LEAVING, HOSTS)}
    forms |= {
        None, "", "evil.example", "hours/", "?next=/", "#/", "http://localhost@evil.example",
        "javascript:alert(document.domain)", "JAVASCRIPT:alert(1)", "data:text/html;base64,PHNjcmlwdD4=",
        "/%" + "25" * MAX_DECODINGS + "2f",                     # "/" encoded once more than ever followed
        "/" + "a" * MAX_NEXT_LENGTH,                              # one character longer than followed
        "/hours/\x7f", "/hours/?q=\x00", "/hours/#\u202e", "/hours/?q=%0d%0aSet-Cookie:x=1",
        "/王小明", "/volunteers/\u3002", "/volunteers/%2e%2e/%2e%2e//evil.example",
    }
    # Every case spelling of the percent-escapes and of the schemes above is another form.
    forms |= {f.swapcase() for f in forms if isinstance(f, str) and ("%" in f or ":" in f)}
    return sorted(forms, key=lambda f: (f is None, repr(f)))


BYPASS = bypass_forms()

KEPT = [
    "/", "/hours/", "/hours/?page=2", "/volunteers/12#sec", "/volunteers/12", "/awards/rounds/3#top",
    "/volunteers/?q=王小明", "/volunteers/?q=" + quote("王小明"), "/volunteers/?q=臺北市&unit=TPE-A#結果",
    "/hours/?start=2026-01-01&end=2026-12-31&page=3", "/search?q=a b",
    "/records/?next=" + quote("//evil.example", safe=""),      # a query may hold anything printable
    "/training/lost/?status=open&sort=-filed_on", "/" + "a" * (MAX_NEXT_LENGTH - 1),
    "/%E7%8E%8B", "/units/TPE-A/people/~x_y.z",
]


def test_there_are_more_than_200_bypass_forms_and_each_is_refused():
    assert len(BYPASS) > 200
    security_report.record("redirect bypass forms refused", len(BYPASS))
    followed = [form for form in BYPASS if safe_next(form) is not None]
    assert not followed, "followed:\n" + "\n".join(map(repr, followed))


@pytest.mark.parametrize("target", KEPT)
def test_the_portals_own_paths_are_kept_as_given(target):
    assert safe_next(target) == target


def test_the_edges_of_encoding_and_length():
    assert safe_next("/%" + "25" * (MAX_DECODINGS - 1) + "41") is not None    # "A" encoded MAX_DECODINGS times
    assert safe_next("/%" + "25" * MAX_DECODINGS + "41") is None
    assert safe_next("/" + "a" * (MAX_NEXT_LENGTH - 1)) is not None
    assert safe_next("/" + "a" * MAX_NEXT_LENGTH) is None


def test_every_redirect_from_user_input_goes_through_the_helper(world, client):
    """The three places a request names where to go next: each falls back to its default page."""
    hostile = ["/\t/evil.example", "/%2f%2fevil.example", "/\\evil.example", "／／evil.example", "https:evil.example"]
    for target in hostile:
        response = client.post("/language", data={"lang": "en", "next": target})
        assert response.headers["Location"] == "/", target
    assert client.post("/language", data={"lang": "en", "next": "/hours/?page=2"}).headers["Location"] == \
        "/hours/?page=2"
    response = client.post("/login?" + "next=" + quote("/\t/evil.example"),
                           data={"username": "clerk.a", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    for target in hostile:   # no volunteer chosen: the form goes back to where `next` says, or the list
        response = client.post("/records/requests", data={"kind": "first", "next": target})
        assert response.headers["Location"] == "/records/", target
    assert client.post("/records/requests", data={"kind": "first", "next": "/volunteers/12#sec"}) \
        .headers["Location"] == "/volunteers/12#sec"
