// Console lines that mean the boot has failed, so a pending expect can stop at once instead of timing out.

export interface FailurePattern {
  name: string;
  pattern: RegExp;
}

// Anchored to the wording the kernel, systemd, NixOS stage 1, SeaBIOS and iPXE actually print, so that a
// command merely mentioning "panic" does not abort a run.
export const defaultFailurePatterns: readonly FailurePattern[] = [
  { name: 'kernel panic', pattern: /Kernel panic - not syncing/ },
  { name: 'kernel oops', pattern: /(?:^|\] )Oops(?: -)?: / },
  { name: 'kernel BUG', pattern: /(?:^|\] )(?:kernel )?BUG: |kernel BUG at / },
  { name: 'emergency mode', pattern: /You are in emergency mode|Entering emergency mode|Welcome to emergency mode/ },
  { name: 'NixOS stage 1 failure', pattern: /An error occurred in stage 1 of the boot process/ },
  { name: 'iPXE DHCP failure', pattern: /No configuration methods succeeded/ },
  { name: 'iPXE connection timeout', pattern: /Connection timed out \(https?:\/\/ipxe\.org\// },
  { name: 'iPXE boot failure', pattern: /Could not boot(?: image)?:|No more network devices/ },
  { name: 'iPXE error', pattern: /\bError 0x[0-9a-f]{8} \(https?:\/\/ipxe\.org\// },
  // Not SeaBIOS's `Boot failed: could not read the boot disk`: it goes on to the next boot device.
  { name: 'firmware boot failure', pattern: /No bootable device/ },
];

/** Returns the first pattern that matches `line`. */
export function findFailure(patterns: readonly FailurePattern[], line: string): FailurePattern | undefined {
  for (const failure of patterns) {
    failure.pattern.lastIndex = 0;
    if (failure.pattern.test(line)) return failure;
  }
  return undefined;
}

/** Whether a pattern has flags of its own (g and y do not count: test() is run from the start anyway). */
const hasOwnFlags = (p: FailurePattern): boolean => p.pattern.flags.replace(/[gy]/g, '') !== '';

/**
 * One alternation of all the patterns with `flags`, made once per list and kept in `cache`; null when
 * `combinable` says one of them cannot join it.
 */
function alternation(
  cache: WeakMap<readonly FailurePattern[], RegExp | null>,
  patterns: readonly FailurePattern[],
  flags: string,
  combinable: (p: FailurePattern) => boolean,
): RegExp | null {
  let any = cache.get(patterns);
  if (any === undefined) {
    any = patterns.every(combinable) ? new RegExp(patterns.map((p) => `(?:${p.pattern.source})`).join('|'), flags) : null;
    cache.set(patterns, any);
  }
  return any;
}

const combined = new WeakMap<readonly FailurePattern[], RegExp | null>();

/**
 * Like findFailure, but first tests one alternation of all patterns (one regex run per line instead of one
 * per pattern); patterns with flags of their own are tested one by one.
 */
export function findFailureFast(patterns: readonly FailurePattern[], line: string): FailurePattern | undefined {
  const any = alternation(combined, patterns, '', (p) => !hasOwnFlags(p));
  if (any && !any.test(line)) return undefined;
  return findFailure(patterns, line);
}

const acrossLines = new WeakMap<readonly FailurePattern[], RegExp | null>();

/**
 * Whether any of `lines` (joined by LF) may match one of the patterns: false only when findFailureFast would
 * find nothing in any of them. One multiline run of the patterns' alternation over all of them: `^`, `$`,
 * `\b` and `\B` see an LF where a single line sees its start or end, and a match that spans lines only costs
 * the line-by-line test. Lookarounds can see past an LF (`(?![^x])` at a line's end), and flags of a
 * pattern's own cannot be combined: with either, every line is tested alone.
 */
export function linesMayFail(patterns: readonly FailurePattern[], lines: string): boolean {
  if (patterns.length === 0) return false;
  const any = alternation(acrossLines, patterns, 'm', (p) => !hasOwnFlags(p) && !/\(\?<?[=!]/.test(p.pattern.source));
  return any === null || any.test(lines);
}
