#!/usr/bin/env bash
# Step outputs of the boot-harness action: where this job keeps the image cache, the run folders, the
# JUnit file and the last good run, and the cache key of the default image's inputs.
set -euo pipefail
name=${INPUT_NAME:-nightly}
if [[ ! $name =~ ^[A-Za-z0-9._-]{1,80}$ ]]; then
  echo "::error::boot-harness: input name \`$name\` is not a safe run name. Fix: use 1 to 80 letters, digits, '.', '_' or '-'." >&2
  exit 2
fi
root=${RUNNER_TEMP:?RUNNER_TEMP is not set (the runner sets it)}/boot-harness
log_dir=$root/logs/$name
# One job, one set of runs: a self-hosted runner's earlier runs must not count in this summary.
rm -rf "$log_dir"
mkdir -p "$log_dir"
image_key=$(
  cd "$GITHUB_ACTION_PATH"
  { cat scripts/build-fixture; find fixtures/default -type f -print0 | LC_ALL=C sort -z | xargs -0 cat; } | sha256sum | cut -c1-16
)
{
  echo "cache-dir=${INPUT_CACHE_DIR:-$root/cache}"
  echo "log-dir=$log_dir"
  echo "junit=$log_dir/junit.xml"
  echo "last-good-dir=$root/last-good/$name"
  echo "image-key=$image_key"
} >>"$GITHUB_OUTPUT"
