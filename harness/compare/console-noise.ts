// Console lines with what differs between two healthy runs of the same image masked: times, addresses,
// MACs, ports, keys, PIDs, the harness's random markers. What is left differs only when the guest did. Pure.

/** [pattern, replacement], applied in order (earlier masks protect text from later, wider ones). */
const masks: readonly [RegExp, string][] = [
  // The harness's own timestamp on each console.txt line.
  [/^\[\s*\d+\.\d+\] ?/, ''],
  // printk timestamps.
  [/\[\s*\d+\.\d+\]/g, '[<time>]'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b/gi, '<mac>'],
  [/\b(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp\d+|sk-ssh-ed25519@openssh\.com)\s+[A-Za-z0-9+/]+=*/g, '$1 <key>'],
  [/\bSHA256:[A-Za-z0-9+/]{20,}=*/g, 'SHA256:<fingerprint>'],
  // Long base64 or hex runs: keys on command lines, credentials, hashes.
  [/[A-Za-z0-9+/]{40,}={0,2}/g, '<blob>'],
  [/\b0x[0-9a-f]+\b/gi, '0x<hex>'],
  [/\b[0-9a-f]{12,}\b/gi, '<hex>'],
  // The harness's command markers (10 letters without R, I, D), whole or typed as two quoted halves.
  [/'[A-HJ-QS-Z]{5}''[A-HJ-QS-Z]{5}'/g, '<marker>'],
  // The same inside a single-quoted script (the batched checks), each quote written '\''.
  [/'\\''[A-HJ-QS-Z]{5}'\\'''\\''[A-HJ-QS-Z]{5}'\\''/g, '<marker>'],
  [/"[A-HJ-QS-Z]{5}""[A-HJ-QS-Z]{5}"/g, '<marker>'],
  // Whole, also right after a batched check's number (`}3XXXXXYYYYY 0`).
  [/(?<![A-Za-z])[A-HJ-QS-Z]{10}(?![A-Za-z])/g, '<marker>'],
  // A port after an address (forwarded ports, connections).
  [/\b(\d{1,3}(?:\.\d{1,3}){3}):\d{2,5}\b/g, '$1:<port>'],
  [/\bport \d{2,5}\b/g, 'port <port>'],
  [/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g, '<date-time>'],
  [/\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b/g, '<clock>'],
  [/\b\d{4}-\d{2}-\d{2}\b/g, '<date>'],
  // Durations and rates.
  [/\b\d+(?:\.\d+)?\s?(?:ns|us|µs|ms|s|sec|secs|seconds|MHz|GHz|MB\/s|KiB\/s|MiB\/s|BogoMIPS)\b/g, '<n> $&'],
  [/<n> \d+(?:\.\d+)?\s?/g, '<n> '],
  // Numbers with a fraction that are not part of a dotted address or version (calibration, load, sizes).
  [/(?<![\d.:])\d+\.\d+(?![\d.])/g, '<n>'],
  [/\blpj=\d+/g, 'lpj=<n>'],
  // PIDs in syslog form, `name[123]:`.
  [/\b([\w.@-]+)\[\d+\]/g, '$1[<pid>]'],
  [/\b(pid:?) \d+\b/gi, '$1 <pid>'],
  // Per-run folders.
  [/\/(?:tmp|var\/tmp)\/boot-harness-[\w-]+/g, '<run-dir>'],
  [/\b\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ-[\w.-]+/g, '<run-folder>'],
  // systemctl show's monotonic clock readings.
  [/\b(\w*Monotonic)=\d+/g, '$1=<n>'],
  // The run key's comment names the run.
  [/\bboot-harness-[\w.-]+/g, 'boot-harness-<run>'],
  // The harness's wait for the system state is bounded by what is left of the check's budget (systemd-unit.ts).
  [/\btimeout \d+ (?=systemctl is-system-running\b)/g, 'timeout <n> '],
  // The harness's answer to the shell's cursor position query, echoed by the tty when it came after the line
  // editor stopped reading (cursor-position.ts): there or not by a few ms.
  [/\^\[\[\d+;\d+R/g, ''],
  // iPXE's packet counters when it opens a NIC: how far its link-up got before the line was printed. A
  // failing network shows in what follows (DHCP, the chain's downloads).
  [/\[Link:(\w+), TX:\d+ TXE:\d+ RX:\d+ RXE:\d+\]/g, '[Link:$1, TX:<n> TXE:<n> RX:<n> RXE:<n>]'],
  // iPXE prints a dot for each moment it waits for a DHCP answer.
  [/^(Configuring \([^)]*\))\.+/, '$1...'],
  // ip's NO-CARRIER (always the first flag) right after a link comes up: the kernel's link watch has not run
  // yet. A link that stays without carrier shows in what follows (no lease, the NIC check).
  [/<NO-CARRIER,/g, '<'],
];

/**
 * Lines whose place in the stream depends on timing, not on the image: left out of the comparison. The TSC's
 * refined calibration and the clocksource watchdog run from delayed work about a second into the boot, so
 * under TCG on a busy host they land anywhere among the initcall lines, several lines from where the other run
 * printed them. The switch to tsc-early is an initcall of its own and stays in order.
 */
const unordered: readonly RegExp[] = [
  /random: .*crng init done/,
  /^\s*$/,
  /tsc: Refined TSC clocksource calibration/,
  /clocksource: tsc: mask:/,
  /clocksource: Switched to clocksource (?!tsc-early\b)/,
  /clocksource: (?:timekeeping watchdog|Long readout interval|'[\w-]+' (?:cs|wd)_)/,
  /Marking clocksource '[\w-]+' as unstable|tsc: Marking TSC unstable due to clocksource watchdog/,
];

export function maskConsoleNoise(line: string): string {
  let text = line;
  for (const [pattern, replacement] of masks) text = text.replace(pattern, replacement);
  return text.trimEnd();
}

export interface NormalisedLine {
  /** 1-based line number in console.txt. */
  lineNumber: number;
  raw: string;
  text: string;
}

export function normaliseConsole(lines: readonly string[]): NormalisedLine[] {
  const out: NormalisedLine[] = [];
  lines.forEach((raw, index) => {
    const text = maskConsoleNoise(raw);
    if (unordered.some((pattern) => pattern.test(text))) return;
    out.push({ lineNumber: index + 1, raw, text });
  });
  return out;
}
