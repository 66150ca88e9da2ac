"""A signed-in browser for the page benchmark, on the standard library: cookies, CSRF tokens from the forms,
the two-step code for authority accounts (pyotp), "next" links followed like a user pages through a list."""
import html
import http.cookiejar
import random
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

import pyotp

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
NAV = re.compile(r'<nav class="pagination"[^>]*>(.*?)</nav>', re.S)
LINK = re.compile(r'<a\b([^>]*)>(.*?)</a>', re.S)
HREF = re.compile(r'href="([^"]+)"')
NEXT_WORDS = ("Next", "下一頁", "More", "更多")


class BenchError(RuntimeError):
    """The benchmark cannot go on (a sign-in refused, a page answering the wrong status)."""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


@dataclass
class Response:
    status: int
    url: str
    headers: dict
    body: str
    seconds: float


class Browser:
    """One persona's session. Every request claims its own client address (X-Forwarded-For, the portal runs
    with PROXY_COUNT=1): the sign-in rate limit (30 per 10 minutes per client) would otherwise refuse the
    sign-ins of a few benchmark runs in a row."""

    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())
        self.address = f"10.250.{random.randint(0, 249)}.{random.randint(1, 250)}"
        self.last_request = 0.0     # time.monotonic() of the last answer (its cookie is the freshest)

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    def request(self, path: str, data: dict | None = None, follow: bool = True, timeout: float = 600) -> Response:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.url(path), data=body, headers={"X-Forwarded-For": self.address})
        started = time.perf_counter()
        try:
            with self.opener.open(req, timeout=timeout) as answer:
                status, headers, text = answer.status, dict(answer.headers), answer.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            status, headers, text = error.code, dict(error.headers), error.read().decode("utf-8", "replace")
        seconds = time.perf_counter() - started
        self.last_request = time.monotonic()
        if follow and status in (301, 302, 303) and headers.get("Location"):
            return self.request(urllib.parse.urljoin(self.url(path), headers["Location"]), follow=True,
                                timeout=timeout)
        return Response(status, self.url(path), headers, text, seconds)

    def open(self, path: str, timeout: float = 600):
        """The raw answer, for reading a download as a stream."""
        return self.opener.open(urllib.request.Request(self.url(path), headers={"X-Forwarded-For": self.address}),
                                timeout=timeout)

    def get(self, path: str, expect: int = 200, **kwargs) -> Response:
        answer = self.request(path, **kwargs)
        if answer.status != expect or "/login" in urllib.parse.urlsplit(answer.url).path and "/login" not in path:
            raise BenchError(f"GET {path} answered {answer.status} at {answer.url}")
        return answer

    def csrf(self, path: str) -> str:
        match = CSRF.search(self.get(path).body)
        if not match:
            raise BenchError(f"no CSRF token in the form of {path}")
        return html.unescape(match.group(1) or match.group(2))

    def sign_in(self, username: str, password: str, totp_secret: str | None = None) -> "Browser":
        answer = self.request("/login", {"csrf_token": self.csrf("/login"), "username": username,
                                         "password": password})
        path = urllib.parse.urlsplit(answer.url).path
        if path == "/login/code":
            if not totp_secret:
                raise BenchError(f"{username} needs a two-step code and the manifest has no TOTP secret")
            token = self.csrf("/login/code")
            totp = pyotp.TOTP(totp_secret)
            # A code is accepted once per 30-second step; a second sign-in within the step uses the next one
            # (the portal accepts one step either side).
            for code in (totp.now(), totp.at(time.time() + 30)):
                answer = self.request("/login/code", {"csrf_token": token, "code": code})
                path = urllib.parse.urlsplit(answer.url).path
                if path != "/login/code":
                    break
        if path.startswith(("/login", "/password")):
            raise BenchError(f"sign-in of {username} ended at {answer.url} ({answer.status})")
        return self

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def next_link(self, page: str) -> str | None:
        """The "next" link of a list's pagination (rel="next" when the page marks it, else by its words)."""
        for nav in NAV.findall(page):
            for attributes, text in LINK.findall(nav):
                href = HREF.search(attributes)
                if href and ('rel="next"' in attributes or any(w in text for w in NEXT_WORDS)):
                    return html.unescape(href.group(1))
        return None

    def deep_page(self, path: str, hops: int) -> tuple[str, int]:
        """Follows "next" up to `hops` times from `path`: (the URL reached, how many pages deep it is)."""
        reached = 1
        for _ in range(hops):
            link = self.next_link(self.get(path).body)
            if link is None:
                break
            path, reached = urllib.parse.urljoin(self.url(path), link), reached + 1
        return path, reached
