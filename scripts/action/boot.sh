#!/usr/bin/env bash
# The boot-harness action's boot step: the inputs (from env, never spliced into code) become `harness boot`
# options, or the caller's vitest suite runs with the harness pointed at this job's folders. The step
# records the verdict as an output and succeeds, so the summary and the uploads run; the Verdict step fails.
set -uo pipefail
cd "${GITHUB_WORKSPACE:?}"
harness=(node "$GITHUB_ACTION_PATH/bin/harness.js")
export HARNESS_TIMEOUT_SCALE=${INPUT_TIMEOUT_SCALE:-auto}

if [[ -n ${INPUT_SUITE:-} ]]; then
  # The caller's tests choose what to boot; the image inputs are handed to them as BOOT_HARNESS_*.
  export BOOT_HARNESS_ISO=${INPUT_ISO:-} BOOT_HARNESS_KERNEL=${INPUT_KERNEL:-} BOOT_HARNESS_INITRD=${INPUT_INITRD:-} BOOT_HARNESS_APPEND=${INPUT_APPEND:-}
  npx vitest run "$INPUT_SUITE" --reporter=default --reporter=junit --outputFile.junit="$BOOT_JUNIT"
  rc=$?
else
  args=(boot --name "$INPUT_NAME" --log-dir "$HARNESS_LOG_DIR" --junit "$BOOT_JUNIT")
  [[ -n ${INPUT_ISO:-} ]] && args+=(--iso "$INPUT_ISO")
  [[ -n ${INPUT_KERNEL:-} ]] && args+=(--kernel "$INPUT_KERNEL")
  [[ -n ${INPUT_INITRD:-} ]] && args+=(--initrd "$INPUT_INITRD")
  [[ -n ${INPUT_APPEND:-} ]] && args+=(--append "$INPUT_APPEND")
  [[ -n ${INPUT_IPXE_URL:-} ]] && args+=(--ipxe-url "$INPUT_IPXE_URL")
  [[ -n ${INPUT_FIRMWARE:-} ]] && args+=(--firmware "$INPUT_FIRMWARE")
  [[ -n ${INPUT_MEMORY:-} ]] && args+=(--memory "$INPUT_MEMORY")
  [[ -n ${INPUT_CPUS:-} ]] && args+=(--cpus "$INPUT_CPUS")
  [[ -n ${INPUT_EXPECT_STORAGE:-} ]] && args+=(--expect-storage "$INPUT_EXPECT_STORAGE")
  [[ -n ${INPUT_SSH_KEY:-} ]] && args+=(--ssh-key "$INPUT_SSH_KEY")
  [[ -n ${INPUT_RETRIES:-} ]] && args+=(--retries "$INPUT_RETRIES")
  while IFS= read -r disk; do
    disk=${disk#"${disk%%[![:space:]]*}"}
    disk=${disk%"${disk##*[![:space:]]}"}
    [[ -z $disk ]] && continue
    if [[ $disk == blank:* ]]; then args+=(--blank-disk "${disk#blank:}"); else args+=(--disk "$disk"); fi
  done <<<"${INPUT_DISK:-}"
  # One argument per line, kept whole (spaces included); `=` keeps a leading dash from reading as an option.
  while IFS= read -r arg; do
    [[ -z ${arg//[[:space:]]/} ]] && continue
    args+=("--qemu-arg=$arg")
  done <<<"${INPUT_QEMU_ARGS:-}"
  echo "boot-harness: harness ${args[*]}"
  "${harness[@]}" "${args[@]}"
  rc=$?
fi

passed=false
[[ $rc -eq 0 ]] && passed=true
{
  echo "passed=$passed"
  echo "exit-code=$rc"
  echo "log-dir=$HARNESS_LOG_DIR"
  echo "junit=$BOOT_JUNIT"
} >>"$GITHUB_OUTPUT"
[[ $rc -eq 2 ]] && echo "::error::boot-harness: bad input (exit 2); the message above names the input and the fix." >&2
exit 0
