"""BentoML service: a typed shell over pathfinder.service (all logic lives in the library).

Run: ``PATHFINDER_API_KEYS_FILE=keys.json PATHFINDER_MODEL=models/small bentoml serve
serving.service:Pathfinder --port 3000`` (see serving/README.md).
"""

from __future__ import annotations

import bentoml

from pathfinder.service import ApiKeys
from pathfinder.service._gate import GateSettings
from pathfinder.service._http import ServiceState, create_app
from pathfinder.service._loader import build_core
from pathfinder.service._metrics import make_metrics
from pathfinder.service._settings import ServiceSettings

app = create_app()


@bentoml.service(name="pathfinder", workers=1, threads=4, traffic={"timeout": 30})
@bentoml.asgi_app(app, path="/")
class Pathfinder:
    """Loads the model and the event store in the background; ready once warm, dead if the
    load failed (settings and API keys are checked at once: a bad value stops the start)."""

    def __init__(self) -> None:
        settings = ServiceSettings.from_env()
        self.state = ServiceState(
            ApiKeys.from_file(settings.api_keys_file),
            GateSettings(settings.max_body_bytes, settings.max_inflight, make_metrics()),
            reload=lambda: build_core(settings),
        )
        app.state.pathfinder = self.state
        self.state.load_in_background(lambda: build_core(settings))

    def __is_ready__(self) -> bool:
        return self.state.core is not None

    def __is_alive__(self) -> bool:
        return self.state.load_error is None
