"""Every API operation fed bad input: wrong types, empty and oversized text, NUL characters,
numbers beyond 64 bits, unknown and mistyped tags, malformed JSON. Whatever comes in, the
answer is never a server error, a refusal is problem+json, and `verify` still passes after
the walk (the client fixture checks it). Deterministic: a fixed seed, a bounded count."""

import random
import re

from server.services.demo import load_demo
from tests.conftest import page_login

SEED, TRIALS_PER_OPERATION = 20261126, 12
BAD = ["", "x" * 5000, "a\x00b", -1, 0, 10**30, 1.5, True, None, [], {}, ["x"], {"a": 1},
       "2026-13-45", "NaN", "U-0000019", "U-0000018", "L-0000013", "P-0000014",
       "SN-{1..99999999}", "'; DROP TABLE unit; --", "]C101040063813339", "\u202eevil"]
PATH_VALUES = ["1", "0", "-1", "99999999999999999999", "U-0000019", "U-0000018", "L-0000013",
               "P-0000014", "x", "%00", "%2e%2e"]
QUERY_VALUES = ["", "x", "-5", "0", "99999999999999999999", "2026-01-01", "true", "%",
                "U-0000019"]
# Taking the admin's own access away would only end the walk early, not test anything
# (the admin's own password and new tokens are walked: a guess never matches the password).
SPARED = re.compile(r"^/api/v1/(users|tokens)(?!/me/(password|tokens)$)")


def operations(spec):
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method in ("post", "put", "patch", "delete") and SPARED.match(path):
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            ref = body.get("schema", {}).get("$ref", "")
            fields = spec["components"]["schemas"].get(ref.split("/")[-1], {}).get(
                "properties", {}) if ref else {}
            params = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
            yield method, path, list(fields), params


def scan_answer(answer):
    """A refused scan answers in the scan shape (ok false, an error), as the phone reads it."""
    if not answer.headers["content-type"].startswith("application/json"):
        return False
    body = answer.json()
    return isinstance(body, dict) and body.get("ok") is False and "error" in body


def test_bad_input_never_makes_a_server_error(client, admin):
    with client.portal() as portal:
        portal.call(load_demo)
    spec = admin.get("/schema/openapi.json").json()
    rnd = random.Random(SEED)
    walked = 0
    for method, path, fields, params in operations(spec):
        for trial in range(TRIALS_PER_OPERATION):
            url = re.sub(r"\{[^}]+\}", lambda _: rnd.choice(PATH_VALUES), path)
            query = {p: rnd.choice(QUERY_VALUES) for p in params if rnd.random() < 0.5}
            kw: dict = {"params": query}
            if method in ("post", "put", "patch"):
                if trial == 0:
                    kw["content"] = b'{"not json'
                    kw["headers"] = {"Content-Type": "application/json"}
                else:
                    kw["json"] = {f: rnd.choice(BAD) for f in fields if rnd.random() < 0.7}
            answer = getattr(admin, method)(url, **kw)
            walked += 1
            where = (method, url, query, kw.get("json", kw.get("content")))
            assert answer.status_code < 500, (where, answer.text[:500])
            if answer.status_code >= 400 and not scan_answer(answer):
                assert answer.headers["content-type"].startswith(
                    "application/problem+json"), (where, answer.headers, answer.text[:300])
    assert walked > 500


FORM_ROUTES = ["/items", "/items/{item}/convert", "/items/{item}/edit", "/items/{item}/lend",
               "/items/{item}/move", "/items/{item}/stock", "/items/{item}/units",
               "/labels/download", "/labels/print", "/locations", "/locations/{loc}/archive",
               "/locations/{loc}/edit", "/people", "/people/{person}/edit",
               "/people/{person}/return", "/people/{person}/check-in", "/tokens",
               "/units/{unit}/check-in",
               "/units/{unit}/check-out", "/units/{unit}/condition", "/units/{unit}/edit",
               "/units/{unit}/move", "/units/{unit}/status", "/units/bulk",
               "/audits/{n}/finish", "/audits/{n}/confirm", "/users", "/account/time-zone",
               "/account/password"]
FORM_FIELDS = ["name", "sku", "tracking", "location", "from_location", "to_location", "person",
               "quantity", "lot", "note", "due_at", "condition", "status", "action", "serial",
               "purchase_date", "purchase_cost", "warranty_end", "count", "serials",
               "serial_pattern", "op", "reorder_point", "unit_cost", "barcodes", "parent",
               "email", "badge_code", "active", "role", "password", "username", "label", "tags",
               "source", "stock", "template", "format", "start", "count", "printer", "archived",
               "flags", "confirm", "loan", "item", "on_checked_out", "custom.voltage",
               "custom_fields.rows", "custom_fields[0].key", "custom_fields[0].type",
               "custom_fields[0].choices", "category", "unit_of_measure", "description",
               "unit", "reason", "back", "time_zone", "current_password", "new_password",
               "confirm_password", "next"]
FORM_VALUES = ["", "x" * 3000, "a\x00b", "-1", "0", "1", "3", "99999999999999999999", "1.5",
               "on", "yes", "2026-13-45", "2026-01-31", "2026-01-31T17:00", "U-0000019",
               "U-0000018", "L-0000013", "P-0000014", "serial", "lot", "quantity", "receive",
               "adjust", "pdf", "zpl", "avery-5160", "SN-{1..99999999}", "{1..3}", "choice",
               "move", "retire", "check_out", "labels"]


def test_bad_form_input_never_makes_a_server_error(client, admin):
    """The management pages' forms, posted by a logged-in admin with the CSRF token: a
    refusal is a page (or a redirect), never a server error."""
    with client.portal() as portal:
        portal.call(load_demo)
    refs = {"item": "1", "loc": "L-0000013", "person": "P-0000014", "unit": "U-0000019",
            "n": "1"}
    answer = page_login(client, "admin")
    assert answer.status_code == 303
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/tokens").text).group(1)
    rnd = random.Random(SEED)
    for route in FORM_ROUTES:
        for _ in range(TRIALS_PER_OPERATION):
            form = {f: rnd.choice(FORM_VALUES) for f in FORM_FIELDS if rnd.random() < 0.4}
            url = route.format(**{k: rnd.choice([v, "99999999999999999999", "x"])
                                  for k, v in refs.items()})
            answer = client.post(url, data={**form, "csrf": csrf},
                                 headers={"Accept": "text/html"}, follow_redirects=False)
            assert answer.status_code < 500, (url, form, answer.text[:500])
            if answer.status_code >= 400:
                assert answer.headers["content-type"].startswith("text/html"), (url, form)
