// A RunComparison as plain text (the terminal) and as Markdown (a CI step summary, a pull request). Pure.
import { type CheckDifference, type PhaseDifference, type RunComparison, vcpuChangePrintkRun } from './run-comparison.ts';

export function renderComparisonText(comparison: RunComparison): string {
  const { before, after } = comparison;
  const out: string[] = [];
  out.push(`Before: ${verdict(before.passed)}  ${before.dir}`);
  out.push(`After:  ${verdict(after.passed)}  ${after.dir}`);
  if (before.retry) out.push(`  before ${before.retry}`);
  if (after.retry) out.push(`  after ${after.retry}`);
  if (after.error) out.push(`  after failed with ${after.error}`);
  out.push('', 'Checks:');
  for (const check of comparison.checks) out.push(`  ${check.changed ? '!' : ' '} ${check.title.padEnd(44)} ${check.before.padEnd(7)} → ${check.after.padEnd(7)}${checkNote(check)}`);
  if (comparison.checks.length === 0) out.push('  (no checks ran in either run)');
  out.push('', 'Phases (duration until the next phase):');
  for (const phase of comparison.phases) out.push(`  ${phase.phase.padEnd(11)} ${seconds(phase.durationBeforeMs).padStart(9)} → ${seconds(phase.durationAfterMs).padStart(9)}  ${percent(phase)}`);
  out.push('', `Accelerator: ${comparison.accelerator.before} → ${comparison.accelerator.after}${comparison.accelerator.changed ? '  (changed)' : ''}`);
  out.push(`vCPUs: ${vcpusText(comparison)}`);
  out.push(`Timeout scale: ${factor(comparison.timeoutScale.before)} → ${factor(comparison.timeoutScale.after)}`);
  const args = comparison.qemuArguments;
  out.push(`QEMU arguments: ${args.removed.length + args.added.length === 0 ? 'the same' : ''}`);
  for (const arg of args.removed) out.push(`  - ${arg}`);
  for (const arg of args.added) out.push(`  + ${arg}`);
  out.push('', `Image: ${imageVerdict(comparison)}`);
  for (const [label, image] of [['before', comparison.image.before], ['after', comparison.image.after]] as const) {
    out.push(`  ${label}: ${imageSummary(image)}`);
  }
  out.push('', ...consoleText(comparison));
  return `${out.join('\n')}\n`;
}

export function renderComparisonMarkdown(comparison: RunComparison): string {
  const { before, after } = comparison;
  const out: string[] = [];
  out.push(`## Compared with the last good run: ${before.passed ? 'PASSED' : 'FAILED'} → ${after.passed ? 'PASSED' : 'FAILED'}`, '');
  out.push(`- Before: ${code(before.dir)} (${before.startedAt})${before.retry ? `, ${escape(before.retry)}` : ''}`);
  out.push(`- After: ${code(after.dir)} (${after.startedAt})${after.retry ? `, ${escape(after.retry)}` : ''}`);
  if (after.error) out.push(`- After failed with ${code(after.error)}`);
  out.push(`- Image: ${escape(imageVerdict(comparison))}`);
  out.push(`- Accelerator: ${comparison.accelerator.before} → ${comparison.accelerator.after}; timeout scale ${factor(comparison.timeoutScale.before)} → ${factor(comparison.timeoutScale.after)}`);
  out.push(`- vCPUs: ${escape(vcpusText(comparison))}`, '');
  out.push('| Check | Before | After |', '|---|---|---|');
  for (const check of comparison.checks) out.push(`| ${check.changed ? '**' : ''}${escape(check.title)}${check.changed ? '**' : ''} | ${state(check.before)} | ${state(check.after)}${check.after === 'failed' && check.verdictAfter ? `: ${escape(check.verdictAfter)}` : ''} |`);
  out.push('', '| Phase | Before | After | Change |', '|---|--:|--:|--:|');
  for (const phase of comparison.phases) out.push(`| ${phase.phase} | ${seconds(phase.durationBeforeMs)} | ${seconds(phase.durationAfterMs)} | ${percent(phase)} |`);
  const args = comparison.qemuArguments;
  if (args.removed.length + args.added.length > 0) {
    out.push('', 'QEMU arguments:', '', fence([...args.removed.map((arg) => `- ${arg}`), ...args.added.map((arg) => `+ ${arg}`)].join('\n'), 'diff'));
  }
  out.push('', '| Image | Before | After |', '|---|---|---|');
  const { before: left, after: right } = comparison.image;
  out.push(`| files | ${cell(left.files.map((file) => `${file.role} ${file.sha256.slice(0, 12)} ${file.sizeBytes} B`).join(', '))} | ${cell(right.files.map((file) => `${file.role} ${file.sha256.slice(0, 12)} ${file.sizeBytes} B`).join(', '))} |`);
  out.push(`| volume id | ${cell(left.volumeId ?? '—')} | ${cell(right.volumeId ?? '—')} |`);
  out.push(`| kernel seen | ${cell(left.kernelVersion ?? '—')} | ${cell(right.kernelVersion ?? '—')} |`);
  out.push('', '### First console divergence', '', fence(consoleText(comparison).slice(1).join('\n')));
  return `${out.join('\n')}\n`;
}

function consoleText(comparison: RunComparison): string[] {
  const divergence = comparison.console;
  if (!divergence) return ['Console: no divergence (timestamps, addresses, MACs, ports, keys masked)'];
  const tolerated = divergence.toleratedLines ? `; ${divergence.toleratedLines} timing-dependent kernel lines printed elsewhere or in one run only stepped over` : '';
  const out = [`Console: first divergence at line ${divergence.lineBefore ?? 'end'} (before) / ${divergence.lineAfter ?? 'end'} (after), timestamps, addresses, MACs, ports and keys masked${tolerated}:`];
  for (const line of divergence.commonContext) out.push(`    ${line}`);
  for (const line of divergence.followingBefore) out.push(`  - ${line}`);
  if (divergence.followingBefore.length === 0) out.push('  - (console ended)');
  for (const line of divergence.followingAfter) out.push(`  + ${line}`);
  if (divergence.followingAfter.length === 0) out.push('  + (console ended)');
  return out;
}

function vcpusText(comparison: RunComparison): string {
  const { before, after, chosenBefore, chosenAfter, changed } = comparison.vcpus;
  const side = (count: number | undefined, chosen: string | undefined) => `${count ?? '—'}${chosen ? ` (${chosen})` : ''}`;
  const note = changed ? `  (changed: the kernel brings up its CPUs differently, so up to ${vcpuChangePrintkRun} kernel lines in one run only are stepped over)` : '';
  return `${side(before, chosenBefore)} → ${side(after, chosenAfter)}${note}`;
}

function imageVerdict(comparison: RunComparison): string {
  const same = comparison.image.same;
  return same === undefined ? 'unknown whether the same (a run recorded no digests)' : same ? 'the same image (sha256 and kernel)' : 'a different image';
}

function imageSummary(image: RunComparison['image']['before']): string {
  const files = image.files.map((file) => `${file.role} sha256 ${file.sha256.slice(0, 16)}… ${file.sizeBytes} bytes`).join(', ') || 'no digests recorded';
  return `${image.kind}: ${files}${image.volumeId ? `, volume id ${image.volumeId}` : ''}, kernel ${image.kernelVersion ?? 'not seen'}`;
}

function checkNote(check: CheckDifference): string {
  if (!check.changed) return '';
  return check.after === 'failed' && check.verdictAfter ? `  ${check.verdictAfter}` : '  (changed)';
}

function verdict(passed: boolean): string {
  return passed ? 'PASSED' : 'FAILED';
}

function state(value: string): string {
  return value === 'passed' ? '✓ passed' : value === 'failed' ? '✗ failed' : '—';
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s`;
}

function percent(phase: PhaseDifference): string {
  if (phase.changePercent === undefined) return '';
  return `${phase.changePercent > 0 ? '+' : ''}${phase.changePercent}%`;
}

function factor(value: number | undefined): string {
  return value === undefined ? '—' : `×${value}`;
}

function fence(text: string, language = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const marks = '`'.repeat(longest + 1);
  return `${marks}${language}\n${text}\n${marks}`;
}

function code(text: string): string {
  return `\`${text.replaceAll('`', "'")}\``;
}

function cell(text: string): string {
  return text ? code(text.replaceAll('|', '¦')) : '';
}

function escape(text: string): string {
  return text.replace(/[\\`*_[\]<>|]/g, (char) => `\\${char}`);
}
