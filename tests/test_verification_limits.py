"""Guessing verification codes (docs/rules/certificates.md#v1): besides 30 lookups a minute per address, the
verification routes stop nationwide once the day's budget of lookups that found nothing is spent, whatever
the addresses; with Redis every web host counts together. Lookups that find a document are not counted.
The budget is read from the setting, so the edge is tested with a small one."""
import uuid

from portal import create_app
from portal.certificates.verify_views import VERIFY_GLOBAL_MISSES, VERIFY_LIMIT
from portal.documents.codes import CODE_ALPHABET, CODE_LENGTH, LEGACY_CODE_LENGTH, new_short_code, normalise_code
from portal.documents.operations import issue_document
from portal.platform.extensions import db
from tests.conftest import REDIS_URL, base_config, redis_or_skip, reset_database

BUDGET = 4


def host(tmp_path, name: str, storage: str, prefix: str):
    config = base_config(tmp_path / name, f"sqlite:///{tmp_path / 'verify.db'}") | {
        "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": storage, "RATELIMIT_KEY_PREFIX": prefix,
        "VERIFY_GLOBAL_MISSES": f"{BUDGET} per day"}
    return create_app(config)


def issued_code(make_unit, make_person) -> tuple[str, str]:
    unit = make_unit()
    person = make_person([unit])
    document = issue_document("performance", person, {"name": person.name, "total_half_hours": 301}, unit,
                              render=lambda d: b"%PDF-1.4 " + d.short_code.encode())
    db.session.commit()
    return document.short_code, document.token


def miss(client, n: int):
    """An unknown code typed from the n-th address of a guessing network."""
    return client.get("/verify", query_string={"code": f"ZZZZZ-{n:05d}".replace("0", "Z")},
                      environ_base={"REMOTE_ADDR": f"10.18.{n // 250}.{n % 250 + 1}"}).status_code


def test_the_budget_and_the_code_space_give_the_documented_odds():
    """V1's arithmetic from the code's own numbers: with the nationwide budget spent every day, any one of ten
    million documents is found with a probability at most about 1e-6 per year (a chosen one below 1e-12); the
    legacy 10-character codes keep 3.3e-9 for a chosen document."""
    per_day = int(VERIFY_GLOBAL_MISSES.split()[0])
    space = len(CODE_ALPHABET) ** CODE_LENGTH
    assert space == 2 ** 65                                    # V1: 13 characters of 32
    assert per_day * 366 / space < 1e-12
    assert per_day * 366 * 10_000_000 / space < 1.01e-6
    assert per_day * 366 / len(CODE_ALPHABET) ** LEGACY_CODE_LENGTH < 1e-8
    assert int(VERIFY_LIMIT.split()[0]) * 60 * 24 > per_day   # one address alone could spend the day's budget


def test_the_nationwide_budget_stops_guessing_from_any_address_at_its_edge(tmp_path, make_unit, make_person):
    app = host(tmp_path, "a", "memory://", "")
    with app.app_context():
        reset_database()
        code, token = issued_code(make_unit, make_person)
        client = app.test_client()
        statuses = []
        for n in range(BUDGET):
            # a real document before each guess, from yet another address: found, and not counted
            found = client.get("/verify", query_string={"code": code.lower()},
                               environ_base={"REMOTE_ADDR": f"192.0.2.{n + 1}"})
            assert found.status_code == 200
            statuses.append(miss(client, n))
        assert statuses == [404] * BUDGET                       # the BUDGET-th miss is still answered
        assert miss(client, BUDGET) == 429                      # the next, from a new address, is not
        # Once the budget is spent the routes stop for everyone until the day's window ends: a real code too.
        assert client.get("/verify", query_string={"code": code},
                          environ_base={"REMOTE_ADDR": "198.51.100.6"}).status_code == 429
        assert client.get(f"/verify/{token}", environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 429
        assert client.get("/verify", environ_base={"REMOTE_ADDR": "198.51.100.8"}).status_code == 429
        db.session.remove()
        db.engine.dispose()


def test_with_redis_every_host_counts_against_one_budget(tmp_path, make_unit, make_person):
    connection = redis_or_skip()
    prefix = f"verify-test-{uuid.uuid4().hex}"
    try:
        first = host(tmp_path, "a", REDIS_URL, prefix)
        with first.app_context():
            reset_database()
            statuses = [miss(first.test_client(), n) for n in range(BUDGET - 1)]
            db.engine.dispose()
        second = host(tmp_path, "b", REDIS_URL, prefix)     # another web host: the limiter starts afresh
        with second.app_context():
            client = second.test_client()
            statuses += [miss(client, BUDGET - 1), miss(client, BUDGET)]
            db.engine.dispose()
        assert statuses == [404] * BUDGET + [429]
    finally:
        for key in connection.scan_iter(f"{prefix}*"):
            connection.delete(key)


def test_new_codes_have_thirteen_characters_and_printed_ten_character_codes_still_read():
    code = new_short_code()
    assert len(code) == 15 and code[5] == code[10] == "-" and normalise_code(code) == code
    assert normalise_code(code.lower().replace("-", " ").replace("0", "O")) == code
    assert normalise_code("abcde-12345") == "ABCDE-12345"              # legacy, as printed before
    assert normalise_code("ABCDE-1234-567") == "" == normalise_code("ABCDE-1234-56789")   # 12 and 14: no code
