"""What the OpenAPI schema says each API operation answers, declared once.

Every refusal is RFC 9457 problem+json from one mapper (errors.py), so which problems an
operation can answer follows from what the operation is, not from a list kept by hand on
every route: any call may lack a valid login (401), be throttled (429), meet a database
that is busy, read-only or full (503) or carry a NUL character in its address (422); an
operation that needs more than a viewer refuses lower roles (403); one that names a
record in its path, query or body may find none (404); a write may meet a state that
refuses it (409); a JSON body may be too big (413), of another media type (415) or
malformed (422). `DocumentedResponses` (a Litestar route plugin) adds those to every
operation in the schema; a route declares only what is its own, with `responses=` (its
own answers, such as the scan answer that refusals share, or a limit's 413) or with
`files(...)` in its `opt` for binary answers (label PNG/PDF/ZPL/SVG).

Litestar's default for a handler with parameters is a 400 in its own error shape; this
server answers 422 problem+json for those, so that 400 is removed from the schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
)
from litestar.params import KwargDefinition
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute
from msgspec import Struct

from server.domain.vocab import Role

PROBLEM = "application/problem+json"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PAGING = frozenset({"limit", "offset", "sort"})
NOT_INPUTS = frozenset({"self", "request", "data"})


class FieldError(Struct):
    field: str | None
    message: str


class Problem(Struct):
    """An RFC 9457 problem: `type`, `title`, `status`, `detail`, plus `code` (stable, for
    machines) and, where one field is to blame, `field` (its name, dotted for nested
    fields)."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None
    instance: str | None = None  # RFC 9457 member; this server does not send it yet
    errors: list[FieldError] | None = None  # every problem a request body had
    details: dict[str, Any] | None = None  # what the refusal is about (limits, conflicts)


DESCRIPTIONS = {
    401: "Not logged in: no credentials, or an API token that is unknown or revoked "
    "(`WWW-Authenticate: Bearer`).",
    403: "Not allowed: the caller's role is below what this operation needs, or a "
    "cookie-authenticated write lacks its CSRF token.",
    404: "A record named in the path, the query or the body does not exist (`field` says which).",
    409: "The current state refuses the change (a unit already checked out, a count that "
    "would go below zero), or the record changed since it was read "
    "(`concurrent_change`).",
    413: "Over a limit: a request body over 10 MB, or more entries than the operation "
    "takes at once (`detail` names the limit). Nothing was done.",
    415: "The request body must be `application/json`.",
    422: "Invalid input: `field` names the field and `detail` the reason (`errors` lists "
    "every problem a body had). Nothing was changed.",
    429: "Too many attempts (failed logins or unknown API tokens, per account and per "
    "client address): try again after `Retry-After` seconds.",
    503: "The database is busy, read-only or full, a label printer cannot be reached, or "
    "too much long work is queued: try again after `Retry-After` seconds. Nothing was "
    "changed; the server recovers by itself once the cause is gone.",
}

HEADERS = {
    401: {"WWW-Authenticate": '`Bearer realm="tagtrack"`'},
    429: {"Retry-After": "seconds to wait before trying again"},
    503: {"Retry-After": "seconds to wait before trying again"},
}


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """problem+json answers, for a route's `responses=`."""
    return {
        status: ResponseSpec(
            Problem, description=DESCRIPTIONS[status], media_type=PROBLEM, generate_examples=False
        )
        for status in statuses
    }


def answers(model: Any, *statuses: int, description: str) -> dict[int, ResponseSpec]:
    """One JSON shape answered with several statuses (a scan answers refusals in the shape
    of its success); a problem+json may answer the error statuses as well."""
    return {
        status: ResponseSpec(model, description=description, generate_examples=False)
        for status in statuses
    }


def one_of(*components: str, nullable: bool = False) -> KwargDefinition:
    """For a field kept as `Any` (an answer encoded once, as it was sent, or a record whose
    shape depends on another field): `Annotated[Any, one_of("ScanOut", "Problem")]` says
    in the schema which of these components it is."""
    refs: list[Schema | Reference] = [Reference(ref=f"#/components/schemas/{name}")
                                      for name in components]
    if nullable:
        refs.append(Schema(type=OpenAPIType.NULL))
    return KwargDefinition(schema_extra={"one_of": refs})


def files(*media_types: str) -> dict[str, Any]:
    """An `opt` fragment: the success answer is a file of one of these media types (labels:
    image/png, application/pdf, image/svg+xml and application/zpl; ZPL has no registered
    media type, and application/zpl is the one print servers commonly use)."""
    return {"files": media_types}


def expected(handler: HTTPRouteHandler) -> set[int]:
    """The problem statuses an operation can answer, from what the operation is."""
    if handler.opt.get("public"):
        return {422, 503}
    statuses = {401, 422, 429, 503}
    signature = handler.parsed_fn_signature.parameters
    has_body = "data" in signature
    is_write = bool(set(handler.http_methods) & WRITES)
    role = handler.opt.get("role")
    if is_write or (role is not None and Role(role).rank > Role.VIEWER.rank):
        statuses.add(403)
    if has_body or set(signature) - NOT_INPUTS - PAGING:
        statuses.add(404)
    if is_write:
        statuses.add(409)
    if has_body:
        statuses |= {413, 415}
    return statuses


@dataclass
class ApiOperation(Operation):
    """Fills in what Litestar's response specs cannot say: several media types for one
    status (files; a scan refusal or a problem), headers of problems, no default 400."""

    files: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        responses = self.responses or {}
        problem_schema = next(
            (
                r.content[PROBLEM].schema
                for r in responses.values()
                if isinstance(r, OpenAPIResponse) and r.content and PROBLEM in r.content
            ),
            None,
        )
        for status, response in list(responses.items()):
            if not isinstance(response, OpenAPIResponse):
                continue
            code = int(status)
            content = response.content or {}
            if code == 400 and PROBLEM not in content:
                del responses[status]  # Litestar's validation default; we answer 422
                continue
            if code >= 400 and problem_schema is not None:
                content.setdefault(PROBLEM, OpenAPIMediaType(schema=problem_schema))
                response.content = content
            if code < 300 and self.files:
                response.content = {
                    media: OpenAPIMediaType(
                        schema=Schema(type=OpenAPIType.STRING, content_media_type=media)
                    )
                    for media in self.files
                }
            for name, what in HEADERS.get(code, {}).items():
                response.headers = {
                    **(response.headers or {}),
                    name: OpenAPIHeader(schema=Schema(type=OpenAPIType.STRING), description=what),
                }


def _operation_class(handler: HTTPRouteHandler) -> type[Operation]:
    media = handler.opt.get("files")
    if not media:
        return ApiOperation
    return type(f"{handler.handler_name}_operation", (ApiOperation,), {"files": tuple(media)})


def document(handler: HTTPRouteHandler) -> None:
    own = dict(handler.responses or {})
    handler.responses = {**problems(*sorted(expected(handler) - set(own))), **own}
    handler.operation_class = _operation_class(handler)


class DocumentedResponses(ReceiveRoutePlugin):
    """Declares the problem answers of every operation in the schema (see the module)."""

    def receive_route(self, route: BaseRoute) -> None:
        for handler in getattr(route, "route_handlers", []):
            if isinstance(handler, HTTPRouteHandler) and handler.resolve_include_in_schema():
                document(handler)
