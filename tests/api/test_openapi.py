"""The OpenAPI schema: served to logged-in users, complete, in the words of DESIGN.md."""

import re

from tests.factories import ok, problem

DESIGN_WORDS = {"sku", "tracking", "barcodes", "tag", "serial", "status", "condition",
                "location", "custodian"}


def _field_names(node, out):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                out.update(value)
            if key == "parameters" and isinstance(value, list):
                out.update(p.get("name") for p in value if isinstance(p, dict))
            _field_names(value, out)
    elif isinstance(node, list):
        for value in node:
            _field_names(value, out)
    return out


def _openapi_path(path):
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


def test_the_schema_needs_a_login(client):
    problem(client.get("/schema/openapi.json"), 401)


def test_the_schema_lists_every_api_path_of_the_app(viewer, client):
    schema = ok(viewer.get("/schema/openapi.json"))
    assert schema["info"]["title"] == "Tagtrack API"
    app_paths = {_openapi_path(route.path) for route in client.app.routes
                 if route.path.startswith("/api/v1")}
    assert app_paths - set(schema["paths"]) == set()
    assert "/api/v1/items/{item_id}/convert" in schema["paths"]


def test_the_schema_speaks_the_design_words(viewer):
    names = _field_names(ok(viewer.get("/schema/openapi.json")), set())
    assert names >= DESIGN_WORDS, DESIGN_WORDS - names
