"""The HTTP contract as published: error responses, credentials and headers in the OpenAPI schema.

Every status a route can answer is documented on it (issue #6: the schema is fuzzed with
Schemathesis, which fails on any undocumented status or body), and a 405 names every method
the path supports, not only those of the first route that matched it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPBasic, HTTPBearer
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = ["BASIC", "BEARER", "STATEMENT_SCHEMA", "ErrorOut", "allow_all_methods", "responses"]

#: Credentials, documented as security schemes (the check itself is ``ApiKeys.authenticate``).
BEARER = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer KEY`.")
BASIC = HTTPBasic(
    auto_error=False, description="For LRS clients: the key id as user, the key as password."
)


class ErrorOut(BaseModel):
    """The body of every error answer."""

    detail: str | list[dict[str, Any]] = Field(
        description="What was wrong and how to fix it; for a request that breaks the schema, "
        "FastAPI's list of field errors."
    )
    event_ids: list[str] | None = Field(
        None, description="409 on events: the ids stored with different content."
    )


_WHY = {
    400: "The body is not JSON, or (xAPI) the X-Experience-API-Version header is missing or "
    "not 1.0.x.",
    401: "Missing or invalid API key.",
    403: "The API key lacks the scope this route needs.",
    404: "Not found (an unknown learner without role and region; an unknown statement).",
    409: "An id is already stored with different content; nothing of the request was stored.",
    413: "The request body is larger than PATHFINDER_MAX_BODY_BYTES.",
    422: "The request is invalid (the message names the field, row or id); nothing was stored.",
    503: "Busy (load shed, see Retry-After), still loading the model, or the event store is "
    "unavailable; nothing was stored.",
}


def responses(*statuses: int, path_id: bool = False) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route answering these error statuses (and 503, always).

    ``path_id``: the route takes an id in its path. An id holding a line break makes a path
    that BentoML's outer router cannot route to the service: its 404 is plain text.
    """
    out: dict[int | str, dict[str, Any]] = {
        status: {"model": ErrorOut, "description": _WHY[status]}
        for status in sorted({*statuses, 503})
    }
    if path_id:
        out[404] = {
            "model": ErrorOut,
            "description": _WHY[404] + " Plain text: a path that cannot be routed.",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    return out


#: Request body of the xAPI statement routes: what the server reads; other fields are kept.
STATEMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["actor", "verb", "object"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "actor": {"type": "object", "description": "account.name is the learner id"},
        "verb": {
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"type": "string", "minLength": 1}},
        },
        "object": {
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"type": "string", "minLength": 1}},
        },
    },
}


def allow_all_methods(app: FastAPI) -> None:
    """Answer 405 with every method the path supports in ``Allow`` (routes are one per method)."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            methods = {
                method
                for route in app.routes
                if isinstance(route, APIRoute) and route.path_regex.match(request.url.path)
                for method in route.methods or ()
            }
            headers["Allow"] = ", ".join(sorted(methods))
        if exc.status_code in (204, 304):  # as FastAPI's own handler: no body
            return Response(status_code=exc.status_code, headers=headers)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)
