#!/usr/bin/env bash
# `make demo`: starts the AWS emulator (the realistic launcher: RDS/ElastiCache/NAT/ALB take a
# few seconds to create, ECS services really roll out and roll back), then shows the whole
# cycle on staging with the debug build of macroctl:
#   up → pgvector → deploy a new image after its migration (`--before`) → a failing
#   migration (`run`: exit 3) → deploy a broken image (ECS rolls it back: exit 4) → rollback
#   → releases → logs → status
# and leaves the emulator running.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BIN="$ROOT/target/debug/macroctl"
STATE_DIR="$ROOT/.demo-state"
[[ -x "$BIN" ]] || { echo "demo.sh: $BIN not found: run 'make build'" >&2; exit 1; }

export MACROCTL_EMULATOR_ECS_ROLLOUT_SECONDS="${MACROCTL_EMULATOR_ECS_ROLLOUT_SECONDS:-3}"
ADDRESS="$(scripts/emulator.sh start)"

unset AWS_PROFILE AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_SESSION_TOKEN
export AWS_ENDPOINT_URL="$ADDRESS"
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1
ECR="123456789012.dkr.ecr.us-east-1.amazonaws.com"

run() {
    echo
    echo "==> macroctl $*"
    set +e
    "$BIN" --state-dir "$STATE_DIR" "$@"
    local code=$?
    set -e
    echo "    (exit code $code)"
    return 0
}

echo "Emulator at $ADDRESS"
run up --env staging --yes
run db enable-pgvector --env staging
run deploy --env staging --image "api=$ECR/macro-ai-staging-api:1.1.0" --image "ui=$ECR/macro-ai-staging-ui:1.1.0" \
    --before 'echo applying migrations; echo 20261201_add_embeddings applied'
run run --env staging -- sh -c 'echo applying 20261204_rename_column; echo "ERROR: column already exists"; exit 3'
run deploy --env staging --image "api=$ECR/macro-ai-staging-api:broken"
run rollback --env staging
run releases --env staging
run logs --env staging api --since 1h
run status --env staging

cat <<MSG

The migration run with "macroctl run" exited 3, the task's own exit code, so a pipeline
stops there. The deploy of the broken image exited 4: ECS's circuit breaker rolled it back,
and macroctl recorded the release as rolled-back instead of reporting success.

The emulator is still running at $ADDRESS so you can look around, e.g.:

  export AWS_ENDPOINT_URL=$ADDRESS AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
  target/debug/macroctl status --env staging --state-dir .demo-state

Stop it with: make emulator-stop
MSG
