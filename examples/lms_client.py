"""An LMS talking to pathfinder: send a learner's xAPI statements, then fetch their path.

Usage::

    PATHFINDER_KEY=KEY python examples/lms_client.py --url http://127.0.0.1:3000 --key-id demo \\
        --learner l000042 --item i00002

(``--key KEY`` works too, but puts the key in the shell history and the process list.)

It does what an LMS integration does once per learner activity:

1. ``GET /xapi/about`` — check the endpoint speaks xAPI 1.0.x;
2. ``POST /xapi/statements`` — a ``launched`` and a ``completed`` statement about the item (HTTP
   Basic with the key id and key, as LRS clients send; the ids are assigned by the client, so a
   retry after a network error is a no-op, never a duplicate);
3. ``POST /recommend`` — the learner's next steps (Bearer key), already reflecting the completion.

Exit codes: 0 done, 1 the server refused a call (its message is printed), 2 bad arguments.
Only needs ``httpx``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import uuid
from typing import Any

import httpx

XAPI_HEADERS = {"X-Experience-API-Version": "1.0.3"}
VERBS = "http://adlnet.gov/expapi/verbs/"


def statement(
    learner: str, item: str, verb: str, when: dt.datetime, **result: Any
) -> dict[str, Any]:
    """One xAPI statement about ``item`` by ``learner`` (the LMS's account name)."""
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": {"account": {"homePage": "https://lms.example.com", "name": learner}},
        "verb": {"id": VERBS + verb, "display": {"en-US": verb}},
        "object": {"id": f"https://lms.example.com/items/{item}", "objectType": "Activity"},
        "timestamp": when.isoformat().replace("+00:00", "Z"),
    }
    if result:
        body["result"] = result
    return body


def run(url: str, key_id: str, key: str, learner: str, item: str) -> list[dict[str, Any]]:
    """Send the statements and return the path's steps (raises httpx.HTTPStatusError)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with httpx.Client(base_url=url, timeout=10) as client:
        about = client.get("/xapi/about", headers=XAPI_HEADERS)
        about.raise_for_status()
        print(f"xAPI versions: {', '.join(about.json()['version'])}")

        sent = [
            statement(learner, item, "launched", now - dt.timedelta(minutes=20)),
            statement(
                learner, item, "completed", now, completion=True, duration="PT18M", success=True
            ),
        ]
        stored = client.post(
            "/xapi/statements", json=sent, headers=XAPI_HEADERS, auth=(key_id, key)
        )
        stored.raise_for_status()
        print(f"statements stored: {', '.join(stored.json())}")

        path = client.post(
            "/recommend",
            json={"learner_id": learner, "max_steps": 5},
            headers={"Authorization": f"Bearer {key}"},
        )
        path.raise_for_status()
        body = path.json()
    flag = " (degraded)" if body["degraded"] else ""
    print(f"path for {learner}, model {body['model_version']}{flag}:")
    for k, step in enumerate(body["steps"], start=1):
        print(
            f"  {k}. week {step['week']}: {step['item_id']} [{step['modality']}, "
            f"{step['duration_min']:.0f} min] {step['reason']}"
        )
    steps: list[dict[str, Any]] = body["steps"]
    return steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:3000")
    parser.add_argument("--key-id", required=True, help="API key id (HTTP Basic user for xAPI)")
    env_key = os.environ.get("PATHFINDER_KEY")
    parser.add_argument(
        "--key",
        default=env_key,
        required=env_key is None,
        help="API key with read and write scopes (default: $PATHFINDER_KEY)",
    )
    parser.add_argument("--learner", required=True, help="learner id as the LMS knows it")
    parser.add_argument("--item", required=True, help="catalogue item the learner completed")
    args = parser.parse_args(argv)
    try:
        run(args.url, args.key_id, args.key, args.learner, args.item)
    except httpx.HTTPStatusError as err:
        print(
            f"error: {err.request.method} {err.request.url.path} answered "
            f"{err.response.status_code}: {err.response.text}",
            file=sys.stderr,
        )
        return 1
    except httpx.HTTPError as err:
        print(f"error: cannot reach {args.url}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
