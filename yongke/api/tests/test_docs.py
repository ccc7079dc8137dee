"""The OpenAPI document, the docs page (no CDN) and `yongke openapi`."""

from __future__ import annotations

import json

from yongke.cli.main import run

A = "/api/v1"


def test_the_openapi_document_lists_every_operation_under_api_v1(client):
    doc = client.get(f"{A}/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "邕科 Yongke API"
    assert all(p.startswith("/api/v1/") for p in doc["paths"])
    assert {"/api/v1/applications/{app_id}/transitions", "/api/v1/audit", "/api/v1/organisations/validate-uscc"} <= set(doc["paths"])
    assert {} in doc["paths"]["/api/v1/calls"]["get"]["security"]  # public
    assert {} not in doc["paths"]["/api/v1/applications"]["get"]["security"]


def test_the_openapi_document_is_a_valid_openapi_document(client):
    from openapi_spec_validator import validate

    validate(client.get(f"{A}/openapi.json").json())


def _typed(schema: dict, components: dict) -> bool:
    """A schema that says what comes back: a component with properties, or an array or map of such."""
    if "$ref" in schema:
        return _typed(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    if schema.get("type") == "array":
        return _typed(schema["items"], components)
    if schema.get("type") == "object":
        return bool(schema.get("properties")) or _typed(schema.get("additionalProperties") or {}, components)
    return schema.get("type") in ("string", "integer", "number", "boolean")


def test_every_operation_declares_what_it_returns(client):
    doc = client.get(f"{A}/openapi.json").json()
    components = doc["components"]["schemas"]
    untyped = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            successes = [(s, r) for s, r in op["responses"].items() if s.startswith("2")]
            assert successes, f"{method.upper()} {path} declares no success"
            for status, ok in successes:  # e.g. a transition's 200 and its receipt's 202
                schemas = [media.get("schema", {}) for media in ok.get("content", {}).values()]
                if not schemas or not all(_typed(s, components) for s in schemas):
                    untyped.append(f"{method.upper()} {path} {status}")
    assert untyped == []


def test_the_docs_page_lists_operations_and_loads_nothing_from_a_cdn(client):
    page = client.get(f"{A}/docs")
    html = page.content.decode()
    assert page.status_code == 200
    assert "/api/v1/applications/{app_id}/transitions" in html
    assert "<code>PATCH</code>" in html
    assert "cdn" not in html.lower()
    assert "https://" not in html
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-init.js"):
        url = f"{A}/docs/assets/{asset}"
        assert url in html
        assert client.get(url).status_code == 200
    assert client.get(f"{A}/docs/assets/secrets.py").status_code == 404


def test_the_api_root_leads_to_the_docs(client):
    r = client.get(f"{A}/")
    assert r.status_code == 302
    assert r["Location"] == f"{A}/docs"


def test_yongke_openapi_prints_the_same_document(client, capsys):
    assert run(["openapi"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(client.get(f"{A}/openapi.json").content)
