"""The HTTP API (FastAPI) over :class:`ProcessCore`; BentoML serves it (serving/service.py).

Status codes: 401 no or bad credentials, 403 missing scope, 404 unknown learner without role and
region, 409 conflicting re-use of an id, 413 body too large, 422 invalid input (the message names
the field), 503 event store unavailable. A model failure is never a 5xx: recommend degrades.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, Header, Request, Security
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasicCredentials

from pathfinder.errors import (
    ConfigError,
    DataValidationError,
    EventConflictError,
    ModelLoadError,
    StatementConflictError,
    StoreUnavailableError,
    UnknownLearnerError,
)
from pathfinder.schemas import GapOut, RecommendRequest, RecommendResponse
from pathfinder.service._auth import ApiKeys, Principal, Scope
from pathfinder.service._gate import XAPI_VERSION, Gate, GateSettings
from pathfinder.service._inputs import AssessmentBatch, EventBatch, IngestResult
from pathfinder.service._metrics import Metrics
from pathfinder.service._openapi import (
    BASIC,
    BEARER,
    STATEMENT_SCHEMA,
    allow_all_methods,
    responses,
)
from pathfinder.service._redact import redact_access_logs
from pathfinder.service._worker import ProcessCore

__all__ = ["ServiceState", "create_app"]

log = logging.getLogger(__name__)


class ServiceState:
    """What the routes need; the BentoML service fills it at start-up and on reload.

    The first model load runs in the background (:meth:`load_in_background`), so health and
    readiness answer while a large model loads: ready once loaded and warm, dead (liveness
    fails) if the load failed.
    """

    def __init__(
        self,
        keys: ApiKeys,
        gate: GateSettings,
        reload: Callable[[], ProcessCore] | None = None,
    ) -> None:
        self.keys = keys
        self.gate = gate
        self.core: ProcessCore | None = None
        self.reload = reload
        self.load_error: str | None = None

    @property
    def metrics(self) -> Metrics | None:
        return self.gate.metrics

    def load_in_background(self, build: Callable[[], ProcessCore]) -> threading.Thread:
        """Build the first core in a thread; a failure is kept in :attr:`load_error`."""

        def run() -> None:
            try:
                self.core = build()
            except Exception as err:  # any failure leaves the process unable to serve
                self.load_error = f"{type(err).__name__}: {err}"
                log.error("model load failed, the service reports itself dead: %s", err)

        thread = threading.Thread(target=run, name="model-load", daemon=True)
        thread.start()
        return thread


#: Seconds a replaced core keeps serving the requests that took it before a reload (longer
#: than BentoML's 30 s request timeout), before its thread pools and store connections close.
RETIRE_AFTER_S = 35.0


def _retire(core: ProcessCore) -> None:
    core.close()
    core.store.close()


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"detail": message, **extra}, status_code=status)


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.pathfinder
    return state


async def _core(request: Request) -> ProcessCore:
    current = _state(request).core
    if current is None:
        raise _NotReady()
    return current


class _NotReady(Exception):
    pass


def _require(scope: Scope) -> Callable[..., Coroutine[Any, Any, Principal]]:
    async def check(
        request: Request,
        _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)],
        _basic: Annotated[HTTPBasicCredentials | None, Security(BASIC)],
    ) -> Principal:
        """The caller (``_bearer``/``_basic`` only document the schemes in OpenAPI)."""
        principal = _state(request).keys.authenticate(request.headers.get("authorization"))
        if principal is None:
            raise _Unauthorized()
        if not principal.allows(scope):
            raise _Forbidden(scope)
        return principal

    return check


class _Unauthorized(Exception):
    pass


class _Forbidden(Exception):
    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope


Core = Annotated[ProcessCore, Depends(_core)]
Reader = Annotated[Principal, Depends(_require("read"))]
Writer = Annotated[Principal, Depends(_require("write"))]
Admin = Annotated[Principal, Depends(_require("admin"))]


def create_app() -> FastAPI:
    """A FastAPI app whose ``app.state.pathfinder`` must be set to a :class:`ServiceState`."""
    app = FastAPI(
        title="pathfinder",
        version="1",
        description="Personalised learning paths for an LMS (DESIGN §7).",
    )
    app.add_middleware(Gate)

    @app.exception_handler(_Unauthorized)
    async def unauthorized(request: Request, exc: _Unauthorized) -> JSONResponse:
        return JSONResponse(
            {"detail": "missing or invalid API key (Authorization: Bearer KEY)"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.exception_handler(_NotReady)
    async def not_ready(request: Request, exc: _NotReady) -> JSONResponse:
        return JSONResponse(
            {"detail": "the model is still loading: retry shortly (see /readyz)"},
            status_code=503,
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(_Forbidden)
    async def forbidden(request: Request, exc: _Forbidden) -> JSONResponse:
        return _error(403, f"this API key lacks the '{exc.scope}' scope")

    @app.exception_handler(UnknownLearnerError)
    async def unknown(request: Request, exc: UnknownLearnerError) -> JSONResponse:
        return _error(404, str(exc))

    @app.exception_handler(ConfigError)
    @app.exception_handler(DataValidationError)
    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        return _error(422, str(exc))

    @app.exception_handler(EventConflictError)
    async def conflict(request: Request, exc: EventConflictError) -> JSONResponse:
        return _error(409, str(exc), event_ids=list(exc.event_ids))

    @app.exception_handler(StatementConflictError)
    async def statement_conflict(request: Request, exc: StatementConflictError) -> JSONResponse:
        return _error(409, str(exc))

    @app.exception_handler(StoreUnavailableError)
    async def unavailable(request: Request, exc: StoreUnavailableError) -> JSONResponse:
        return _error(503, f"event store unavailable: nothing was stored ({exc})")

    @app.post(
        "/recommend",
        response_model=RecommendResponse,
        responses=responses(400, 401, 403, 404, 413, 422),
    )
    async def recommend(
        request: Request,
        body: RecommendRequest,
        _: Reader,
        svc: Core,
    ) -> Response:
        """An ordered, scheduled path for one learner (degraded fallback, never a 5xx)."""
        content, degraded = await svc.recommend_body(body)
        metrics = _state(request).metrics
        if degraded and metrics is not None:
            metrics.fallbacks.inc()
        return Response(content, media_type="application/json")

    @app.post(
        "/events", response_model=IngestResult, responses=responses(400, 401, 403, 409, 413, 422)
    )
    def events(request: Request, body: EventBatch, _: Writer, svc: Core) -> IngestResult:
        """A batch of events, idempotent by event_id; committed before the answer."""
        metrics = _state(request).metrics
        try:
            result = svc.ingest_events(body.events)
        except Exception:
            if metrics is not None:
                metrics.events.labels("rejected").inc(len(body.events))
            raise
        if metrics is not None:
            metrics.events.labels("accepted").inc(result.accepted)
            metrics.events.labels("duplicate").inc(result.duplicates)
        return result

    @app.post(
        "/assessments", response_model=IngestResult, responses=responses(400, 401, 403, 413, 422)
    )
    def assessments(
        body: AssessmentBatch,
        _: Writer,
        svc: Core,
    ) -> IngestResult:
        """A batch of assessment results; committed before the answer."""
        return svc.ingest_assessments(body.assessments)

    @app.get(
        "/learners/{learner_id}/gaps",
        response_model=list[GapOut],
        responses=responses(401, 403, 404, 422, path_id=True),
    )
    async def gaps(learner_id: str, _: Reader, svc: Core) -> list[GapOut]:
        """The learner's largest priority-weighted gaps now."""
        request = RecommendRequest(learner_id=learner_id, max_steps=1)
        return (await svc.recommend_async(request)).top_gaps

    @app.delete("/learners/{learner_id}", responses=responses(401, 403, 422, path_id=True))
    def erase(learner_id: str, _: Admin, svc: Core) -> dict[str, int]:
        """Right to erasure: events, assessments, statements, factors and cached state."""
        return svc.erase(learner_id)

    @app.post("/admin/reload", responses=responses(401, 403, 422))
    def reload(request: Request, _: Admin) -> dict[str, str]:
        """Load the configured model again; a failed load keeps the old model serving."""
        st = _state(request)
        if st.reload is None:
            raise ConfigError("this server has no reload source")
        try:
            fresh = st.reload()
        except ModelLoadError as err:
            log.error("reload failed, keeping the old model: %s", err)
            raise ConfigError(f"reload failed, the old model keeps serving: {err}") from err
        old, st.core = st.core, fresh
        if old is not None:  # requests that took the old core finish on it; retire it after them
            timer = threading.Timer(RETIRE_AFTER_S, _retire, args=(old,))
            timer.daemon = True
            timer.start()
        return {"model_version": fresh.recommender.model_version}

    mount_xapi(app)
    allow_all_methods(app)
    redact_access_logs()  # learner ids in /learners/{id} paths stay out of the logs
    return app


def mount_xapi(app: FastAPI) -> None:
    """The xAPI statements resource under ``/xapi/`` (HTTP Basic with a key pair, or Bearer)."""

    @app.exception_handler(RequestValidationError)
    async def bad_version(request: Request, exc: RequestValidationError) -> Response:
        if any(str(e.get("loc", ("",))[-1]).lower() == _XAPI_HEADER.lower() for e in exc.errors()):
            return _error(400, "X-Experience-API-Version header missing or not 1.0.x")
        return await request_validation_exception_handler(request, exc)

    @app.get("/xapi/about", responses=responses())
    def about() -> dict[str, list[str]]:
        """The xAPI versions this endpoint speaks."""
        return {"version": [XAPI_VERSION]}

    @app.post(
        "/xapi/statements",
        responses=responses(400, 401, 403, 409, 413, 422),
        openapi_extra=_body(
            {
                "oneOf": [
                    STATEMENT_SCHEMA,
                    {"type": "array", "minItems": 1, "items": STATEMENT_SCHEMA},
                ]
            }
        ),
    )
    def post_statements(
        body: Annotated[Any, Body()], _v: XapiVersion, _: Writer, svc: Core
    ) -> list[str]:
        """One statement or an array; returns their ids (assigned where missing)."""
        statements = body if isinstance(body, list) else [body]
        if not statements:
            raise ConfigError("statements: expected at least one statement")
        return [sid for sid, _new in svc.put_statements(statements)]

    @app.put(
        "/xapi/statements",
        status_code=204,
        responses=responses(400, 401, 403, 409, 413, 422),
        openapi_extra=_body(STATEMENT_SCHEMA),
    )
    def put_statement(
        statementId: str,
        body: Annotated[Any, Body()],
        _v: XapiVersion,
        _: Writer,
        svc: Core,
    ) -> Response:
        """Store one statement under ``statementId``; 409 if that id holds another statement."""
        svc.put_statements([body], statement_id=statementId)
        return Response(status_code=204)

    @app.get("/xapi/statements", responses=responses(400, 401, 403, 404, 422))
    def get_statement(
        statementId: str,
        _v: XapiVersion,
        _: Reader,
        svc: Core,
    ) -> JSONResponse:
        """The stored statement with ``statementId``."""
        stored = svc.get_statement(statementId)
        if stored is None:
            return _error(404, f"no statement with id {statementId!r}")
        return JSONResponse(stored["raw"])


_XAPI_HEADER = "X-Experience-API-Version"


async def _xapi_version(
    version: Annotated[
        str, Header(alias=_XAPI_HEADER, pattern=r"^1\.0(\.[0-9]+)?$", description="1.0.x")
    ],
) -> None:
    """The xAPI version header (a missing or other version is answered 400, see mount_xapi)."""


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` documenting a JSON request body read as ``Any``."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


XapiVersion = Annotated[None, Depends(_xapi_version)]
