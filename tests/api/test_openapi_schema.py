"""The OpenAPI schema says what the API really answers: the scan answer object, label
files in their media types, the audit CSV, and every problem+json an operation can give,
in one Problem schema that matches the problems the error mapper writes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import ok, problem

PROBLEM = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
WRITES = {"post", "put", "patch", "delete"}
METHODS = WRITES | {"get"}


@pytest.fixture
def spec(viewer: Any) -> dict[str, Any]:
    return ok(viewer.get("/schema/openapi.json"))


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, item in spec["paths"].items()
            for method, op in item.items() if method in METHODS]


def content(spec: dict[str, Any], method: str, path: str, status: int) -> dict[str, Any]:
    return spec["paths"][path][method]["responses"][str(status)].get("content") or {}


def test_a_scan_documents_the_scan_answer_for_its_success_and_its_refusals(spec):
    for method, path in (("post", "/api/v1/scans"), ("get", "/api/v1/scans/lookup")):
        assert content(spec, method, path, 200) == {
            "application/json": {"schema": {"$ref": "#/components/schemas/ScanOut"}}}
        for status in (403, 404, 409, 422, 503):
            answers = content(spec, method, path, status)
            assert answers["application/json"]["schema"]["$ref"].endswith("/ScanOut"), status
            assert answers[PROBLEM]["schema"] == PROBLEM_REF, status
    scan_out = spec["components"]["schemas"]["ScanOut"]
    assert {"ok", "action", "message", "resolved", "error"} <= set(scan_out["properties"])


def test_a_label_documents_its_files_not_json(spec):
    one = content(spec, "get", "/api/v1/labels/{tag}", 200)
    assert set(one) == {"image/png", "application/pdf", "application/zpl", "image/svg+xml"}
    assert one["image/png"]["schema"] == {"type": "string", "contentMediaType": "image/png"}
    batch = content(spec, "post", "/api/v1/labels", 200)
    assert set(batch) == {"application/pdf", "application/zpl"}


def test_the_audit_export_documents_csv_and_names_its_charset_once(spec, manager):
    assert set(content(spec, "get", "/api/v1/audits/{audit_id}/export.csv", 200)) == {
        "text/csv"}
    shelf = ok(manager.post("/api/v1/locations", json={"name": "Shelf"}), 201)
    audit = ok(manager.post("/api/v1/audits", json={"location": shelf["tag"]}), 201)
    answer = manager.get(f"/api/v1/audits/{audit['audit']['id']}/export.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"


def test_every_operation_documents_the_problems_it_can_answer(spec):
    for method, path, op in operations(spec):
        responses = op["responses"]
        expected = {"422", "503"}
        if path.startswith("/api/"):
            expected |= {"401", "429"}
        if method in WRITES:
            expected |= {"403", "409"}
        if "{" in path:
            expected.add("404")
        if "requestBody" in op:
            expected |= {"404", "413", "415"}
        assert expected <= set(responses), (method, path, expected - set(responses))
        for status, response in responses.items():
            if int(status) >= 400:
                assert response["content"][PROBLEM]["schema"] == PROBLEM_REF, (method, path,
                                                                               status)
                assert response["description"], (method, path, status)


def test_no_operation_documents_litestars_own_400_shape(spec):
    for method, path, op in operations(spec):
        assert "400" not in op["responses"], (method, path)


def test_the_problem_schema_is_rfc_9457_with_our_fields(spec):
    schema = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance", "code", "field", "errors",
            "details"} <= set(schema["properties"])
    assert set(schema["required"]) == {"type", "title", "status", "detail", "code"}


def test_real_problems_fit_the_problem_schema(spec, viewer, manager, client):
    schema = spec["components"]["schemas"]["Problem"]
    known = set(schema["properties"])
    answers = [
        problem(client.get("/api/v1/items"), 401),
        problem(viewer.post("/api/v1/items", json={"sku": "A", "name": "A"}), 403),
        problem(viewer.get("/api/v1/items/999"), 404),
        problem(manager.post("/api/v1/items", json={"sku": 5}), 422),
        problem(manager.post("/api/v1/items", content=b"{", headers={
            "Content-Type": "application/json"}), 422),
        problem(viewer.get("/api/v1/items", params={"limit": "x"}), 422),
    ]
    for body in answers:
        assert set(body) <= known, set(body) - known
        assert set(schema["required"]) <= set(body), body
        assert body["type"].startswith("https://") and body["status"] in (401, 403, 404, 422)


def test_fields_kept_as_sent_say_which_shapes_they_take(spec):
    """A batch result's answer, a logged scan's answer and a scan's record are encoded as
    they were sent (not re-validated), and the schema still names their shapes."""
    schemas = spec["components"]["schemas"]

    def refs(component: str, field: str) -> list[str]:
        return [one.get("$ref", one.get("type", "")).rsplit("/", 1)[-1]
                for one in schemas[component]["properties"][field]["oneOf"]]

    assert refs("BatchResult", "answer") == ["ScanOut", "Problem"]
    assert refs("ScanLogOut", "answer") == ["ScanOut"]
    assert refs("ResolvedOut", "record") == ["UnitOut", "ItemOut", "LotOut", "LocationOut",
                                             "PersonOut", "null"]
    for name in ("UnitOut", "ItemOut", "LotOut", "LocationOut", "PersonOut", "Problem"):
        assert name in schemas, name
