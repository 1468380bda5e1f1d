#!/usr/bin/env bash
# Last step of `make demo`: a demo API key, a curl per route, then the server in the foreground
# on 127.0.0.1:3000 with the registered champion of ./mlflow.db (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
rm -rf .demo && mkdir -p .demo
KEY=$($BIN/pathfinder keys create --id demo --scope read --scope write --scope admin --file .demo/keys.json)
URL=http://127.0.0.1:3000
H="-H 'Authorization: Bearer $KEY' -H 'content-type: application/json'"
cat <<TXT

pathfinder is starting on $URL with the champion model (demo key below, shown once).
Try, from another terminal:

  curl -s $URL/readyz
  curl -s $H -d '{"learner_id": "l000042", "max_steps": 5}' $URL/recommend
  curl -s $H $URL/learners/l000042/gaps
  curl -s $H -d '{"events": [{"event_id": "$(python3 -c 'import uuid; print(uuid.uuid4())')", "learner_id": "l000042", "item_id": "i00001", "verb": "completed", "timestamp": "2026-01-05T09:00:00Z"}]}' $URL/events
  curl -s $H -d '{"assessments": [{"learner_id": "l000042", "skill_id": "negotiation", "score": 0.7, "assessed_at": "2026-01-05T09:00:00Z", "method": "test"}]}' $URL/assessments
  curl -s $URL/xapi/about
  curl -s -u demo:$KEY -H 'X-Experience-API-Version: 1.0.3' -H 'content-type: application/json' -d '{"actor": {"account": {"homePage": "https://lms.example.com", "name": "l000042"}}, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}, "object": {"id": "https://lms.example.com/items/i00002"}}' $URL/xapi/statements
  curl -s -X DELETE $H $URL/learners/l000042
  curl -s -X POST $H $URL/admin/reload
  curl -s $URL/metrics | head

TXT
export PATHFINDER_API_KEYS_FILE=.demo/keys.json
export PATHFINDER_MODEL=models:/pathfinder@champion
export PATHFINDER_STORE_URL="sqlite:///$PWD/.demo/events.db"
export MLFLOW_TRACKING_URI="sqlite:///$PWD/mlflow.db"
exec $BIN/bentoml serve serving.service:Pathfinder --host 127.0.0.1 --port 3000
