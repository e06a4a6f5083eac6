#!/usr/bin/env bash
# A CI job: release the bundle to Staging, promote it to 5 % of Production, then widen it
# step by step while the devices' installs stay healthy. Exit codes: 0 rolled out to
# everyone; 1 a command failed; 2 bad input; 3 the rollout breached (rolled back) or halted.
#
#   export CODEPUSH_SERVER_URL=https://codepush.example.com CODEPUSH_ACCESS_KEY=...
#   examples/ci_pipeline.sh MyApp build/CodePush 1.4.0
set -euo pipefail

app=$1 bundle=$2 version=$3
cli=${CODEPUSH_CLI:-codepush-async}          # or: python -m codepush_async
interval=${ROLLOUT_INTERVAL:-2h}
json_field() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }

label=$($cli --json release "$app" Staging "$bundle" "$version" \
        --description "CI build ${CI_PIPELINE_ID:-local}" | json_field '["label"]')
echo "released $label to $app/Staging"

$cli --json promote "$app" Staging Production --rollout 5 > promoted.json
echo "promoted $(json_field '["label"]' < promoted.json) to $app/Production at 5%"

set +e  # the rollout's exit code is the job's
$cli --json rollout run "$app" Production --steps 5,25,50,100 --interval "$interval" \
     --max-failure-rate 0.02 --min-downloads "${MIN_DOWNLOADS:-200}" \
     --max-hold "${ROLLOUT_MAX_HOLD:-12h}" > rollout.jsonl
code=$?
set -e
outcome=$(tail -n 1 rollout.jsonl)
case $code in
  0) echo "rolled out: $(json_field '["reason"]' <<< "$outcome")" ;;
  3) echo "rollout stopped ($(json_field '["outcome"]' <<< "$outcome")):" \
          "$(json_field '["reason"]' <<< "$outcome")" ;;
  *) echo "rollout failed (exit $code)" ;;
esac
exit $code
