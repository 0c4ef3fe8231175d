#!/usr/bin/env bash
# The boot-harness action's summary step: the job summary (verdict, phases, failed checks with evidence,
# link to the artefacts), compared with the last good run when there is one; a passing run then becomes
# the last good one (saved to the Actions cache by the next step).
set -uo pipefail
cd "${GITHUB_WORKSPACE:?}"
harness=(node "$GITHUB_ACTION_PATH/bin/harness.js")

last_good=${INPUT_LAST_GOOD:-}
if [[ -z $last_good && -d $LAST_GOOD_DIR ]]; then
  last_good=$(find "$LAST_GOOD_DIR" -mindepth 2 -maxdepth 2 -name report.json -printf '%h\n' | LC_ALL=C sort | tail -n 1)
fi
compare=()
if [[ -n $last_good && -f $last_good/report.json ]]; then
  compare=(--compare-with "$last_good")
fi

"${harness[@]}" summary "$HARNESS_LOG_DIR" --artifacts-url "$ARTIFACTS_URL" "${compare[@]}" >>"$GITHUB_STEP_SUMMARY"
rc=$?
if [[ $rc -eq 2 ]]; then
  echo "::error::boot-harness: could not write the summary" >&2
  exit 1
fi
if ((${#compare[@]} == 0)); then
  printf '\nNo last good run to compare with yet: the first passing run becomes it.\n' >>"$GITHUB_STEP_SUMMARY"
fi

if [[ ${BOOT_PASSED:-} == true ]]; then
  newest=$(find "$HARNESS_LOG_DIR" -mindepth 2 -maxdepth 2 -name report.json -printf '%h\n' | LC_ALL=C sort | tail -n 1)
  if [[ -n $newest ]]; then
    rm -rf "$LAST_GOOD_DIR"
    mkdir -p "$LAST_GOOD_DIR"
    cp -r "$newest" "$LAST_GOOD_DIR/"
    echo "boot-harness: $(basename "$newest") is now the last good run"
  fi
fi
exit 0
