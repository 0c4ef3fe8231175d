// report.md and report.html from a BootReport: content, escaping, offline-ness, and writeReports' files.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BootReport } from '../../../harness/boot/boot-report.ts';
import { renderReportHtml } from '../../../harness/report/report-html.ts';
import { renderReportMarkdown } from '../../../harness/report/report-markdown.ts';
import { writeReports } from '../../../harness/report/write-reports.ts';

function sampleReport(overrides: Partial<BootReport> = {}): BootReport {
  const dir = '/work/boot-logs/2026-11-23T09-47-31Z-sample';
  return {
    name: 'sample',
    startedAt: '2026-11-23T09:47:31.355Z',
    image: { kind: 'iso', iso: '/cache/default.iso', isDefaultImage: true },
    accelerator: { accel: 'tcg', requested: 'auto', kvmUsable: false, reason: 'KVM unusable: no "Linux version" within 3000 ms', fromCache: true },
    keyInjection: 'smbios',
    phases: [
      { phase: 'qemu', atMs: 0.1, evidence: '/usr/bin/qemu-system-x86_64 -accel tcg' },
      { phase: 'kernel', atMs: 2478.5, evidence: '[    0.000000] Linux version 6.1.0' },
      { phase: 'bootloader', atMs: 241.5, evidence: 'ISOLINUX 6.04' },
      { phase: 'prompt', atMs: 6568.6, evidence: 'harness prompt installed' },
      { phase: 'stopped', atMs: 7187.8, evidence: 'stopped' },
    ],
    qemu: { argv: ['/usr/bin/qemu-system-x86_64', '-name', 'sample', '-append', "console=ttyS0 it's"], pid: 42, exit: { exitCode: 0, signal: null } },
    sshPort: 40023,
    checks: [
      {
        id: 'nic-renamed',
        title: 'NIC renamed to lan',
        passed: true,
        verdict: 'lan present',
        evidence: [{ command: 'ip -o link show', output: '2: lan: <BROADCAST,MULTICAST,UP> mtu 1500', exitCode: 0 }],
        durationMs: 120,
      },
      {
        id: 'storage-status',
        title: 'storage status written',
        passed: false,
        verdict: 'expected applied, got plan-only',
        evidence: [{ command: 'cat /run/pre-nixos/storage-status', output: 'plan-only ``` </pre>', exitCode: 0 }],
        durationMs: 30,
      },
    ],
    serviceLog: 'pre-nixos[1]: <b>done</b>',
    passed: false,
    error: { name: 'ExpectTimeoutError', message: 'Console pattern /login: / not seen after 1000 ms' },
    logs: { dir, consoleRaw: `${dir}/console.raw`, consoleText: `${dir}/console.txt`, qemuStderr: `${dir}/qemu-stderr.txt`, qemuArgv: `${dir}/qemu-argv.json`, report: `${dir}/report.json` },
    ...overrides,
  };
}

const tail = ['[    6.100] Welcome', '[    6.200] <script>alert("x")</script> & more'];

describe('renderReportHtml', () => {
  const html = renderReportHtml({ report: sampleReport(), consoleTail: tail, budgetsMs: { prompt: 240_000 }, logLinks: [{ label: 'console.txt', href: 'console.txt' }] });

  it('escapes console output, evidence and the service log', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; more');
    expect(html).toContain('plan-only ``` &#60;/pre&#62;');
    expect(html).toContain('pre-nixos[1]: &#60;b&#62;done&#60;/b&#62;');
  });

  it('is self-contained: no external assets, no scripts', () => {
    expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<a href="console.txt">');
  });

  it('shows the verdict, accelerator and why, timeline in boot order with budgets, failed checks open', () => {
    expect(html).toContain('FAILED');
    expect(html).toContain('KVM unusable: no &#34;Linux version&#34; within 3000 ms');
    const phases = [...html.matchAll(/<tr><td>(\w+)<\/td>/g)].map((match) => match[1]);
    expect(phases).toEqual(['qemu', 'bootloader', 'kernel', 'prompt', 'stopped']);
    expect(html).toContain('<td class="n">240.0 s</td>');
    expect(html).toMatch(/<details class="check failed" open>/);
    expect(html).toMatch(/<details class="check passed">/);
    expect(html).toContain('Last 2 console lines');
  });
});

describe('renderReportMarkdown', () => {
  const markdown = renderReportMarkdown({ report: sampleReport(), consoleTail: tail, budgetsMs: { prompt: 240_000 }, logLinks: [{ label: 'console.txt', href: 'console.txt' }] });

  it('has the timeline, with durations to the next phase', () => {
    expect(markdown).toContain('| qemu | 0 ms | 241 ms | — |');
    expect(markdown).toContain('| kernel | 2.48 s | 4.09 s | — |');
    expect(markdown).toContain('| prompt | 6.57 s | 619 ms | 240.0 s |');
    expect(markdown).toContain('| stopped | 7.19 s | — | — |');
  });

  it('has the failure with the console tail, checks with evidence, and relative log links', () => {
    expect(markdown).toMatch(/^# Boot report: sample — FAILED/);
    expect(markdown).toContain('- ✗ storage status written: expected applied, got plan-only');
    expect(markdown).toContain('<script>alert("x")</script> & more');
    // Output holding a ``` fence is wrapped in a longer fence, so it cannot end the block early.
    expect(markdown).toContain('````\nplan-only ``` </pre>\n````');
    expect(markdown).toContain(`/usr/bin/qemu-system-x86_64 -name sample -append 'console=ttyS0 it'\\''s'`);
    expect(markdown).toContain('- [console.txt](console.txt)');
  });

  it('a run without checks is BOOTED, not PASSED; a skipped check is marked as skipped, not passed', () => {
    const booted = sampleReport({ passed: false, outcome: 'booted', error: undefined, checks: [], serviceLog: undefined });
    expect(renderReportMarkdown({ report: booted })).toMatch(/^# Boot report: sample — BOOTED/);
    expect(renderReportHtml({ report: booted })).toContain('<span class="badge pass">BOOTED</span>');
    const skipped = sampleReport({
      passed: false,
      outcome: 'failed',
      checks: [{ id: 'ssh-reachable', title: 'SSH reachable with the run key', passed: false, skipped: 'no forwarded SSH port', verdict: 'skipped: no forwarded SSH port', evidence: [], durationMs: 0 }],
    });
    expect(renderReportMarkdown({ report: skipped })).toContain('- ○ SSH reachable with the run key: skipped: no forwarded SSH port');
    expect(renderReportHtml({ report: skipped })).toContain('<span class="mark">○</span>');
  });

  it('leaves the failure section out of a passing run', () => {
    const passing = sampleReport({ passed: true, error: undefined, checks: sampleReport().checks.slice(0, 1), serviceLog: undefined });
    expect(renderReportMarkdown({ report: passing })).not.toContain('## Failure');
    expect(renderReportHtml({ report: passing })).not.toContain('<h2>Failure</h2>');
  });
});

describe('writeReports', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes report.md and report.html, with the last 40 console lines and links to the logs present', async () => {
    dir = await mkdtemp(join(tmpdir(), 'reports-'));
    const lines = Array.from({ length: 60 }, (_, index) => `[ ${index}] line ${index}`);
    await writeFile(join(dir, 'console.txt'), `${lines.join('\n')}\n`);
    await writeFile(join(dir, 'report.json'), '{}\n');
    const written = await writeReports(sampleReport(), dir, { budgetsMs: { prompt: 1000 } });
    expect(written).toEqual({ markdown: join(dir, 'report.md'), html: join(dir, 'report.html') });
    const markdown = await readFile(written.markdown, 'utf8');
    expect(markdown).toContain('Last 40 console lines:');
    expect(markdown).toContain('[ 20] line 20\n');
    expect(markdown).not.toContain('[ 19] line 19\n');
    expect(markdown).toContain('- [console.txt — clean console, timestamped](console.txt)');
    expect(markdown).toContain('(report.json)');
    expect(markdown).not.toContain('(console.cast)');
    expect(await readFile(written.html, 'utf8')).toContain('[ 59] line 59');
  });
});

describe('writeReports links', () => {
  it('links other files a test left in the run folder by name, after the known logs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reports-'));
    try {
      await writeFile(join(dir, 'console.txt'), 'x\n');
      await writeFile(join(dir, 'checks.cast'), '{}\n');
      const written = await writeReports(sampleReport({ passed: true, error: undefined }), dir);
      const markdown = await readFile(written.markdown, 'utf8');
      expect(markdown).toMatch(/\(console\.txt\)[\s\S]*\(report\.md\)\n- \[checks\.cast\]\(checks\.cast\)/);
      expect(markdown).not.toContain('(report.html)');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('network boots', () => {
  it('show the iPXE chain and what the local server served', () => {
    const report = sampleReport({
      ipxe: { mode: 'http', url: 'http://10.0.2.2:8080/boot.ipxe', requests: [{ method: 'GET', path: '/vmlinuz', status: 200, bytes: 5_500_000, durationMs: 120, atMs: 7000 }] },
    });
    expect(renderReportMarkdown({ report })).toContain('| 7.00 s | `GET /vmlinuz` | 200 | 5500000 | 120 ms |');
    const html = renderReportHtml({ report });
    expect(html).toContain('HTTP chain from <code>http://10.0.2.2:8080/boot.ipxe</code>');
    expect(html).toContain('<td class="n">5.2 MiB</td>');
  });
});

describe('NICs and warnings in the reports', () => {
  const report = sampleReport({
    nics: [
      { index: 0, mode: 'user', mac: undefined },
      { index: 1, mode: 'bridge', mac: '02:aa:bb:cc:dd:01', hostInterface: 'hbt0011aabb', bridge: 'br0', netns: 'hb-seg-1' },
      { index: 2, mode: 'macvtap', mac: '02:aa:bb:cc:dd:02', hostInterface: 'hbm0011aabb', link: 'eth0' },
    ],
    warnings: ['L2 networking unavailable (CAP_NET_ADMIN <missing>): bridge NIC on br0 replaced by user-mode networking'],
  });

  it('Markdown lists each NIC with its MAC and attachment, and the warnings, escaped', () => {
    const markdown = renderReportMarkdown({ report });
    expect(markdown).toContain('- NIC 1: bridge br0 in netns hb-seg-1 through tap hbt0011aabb, MAC 02:aa:bb:cc:dd:01');
    expect(markdown).toContain('- NIC 2: macvtap hbm0011aabb on eth0, MAC 02:aa:bb:cc:dd:02');
    expect(markdown).toContain('- NIC 0: user-mode networking (10.0.2.0/24), MAC QEMU default');
    expect(markdown).toMatch(/## Warnings\n\n- ⚠ L2 networking unavailable \(CAP\\_NET\\_ADMIN \\<missing\\>\)/);
  });

  it('Markdown says when the guest was seen to have its address (what early SSH attempts waited for)', () => {
    expect(renderReportMarkdown({ report })).not.toContain('Guest address seen');
    const seen = sampleReport({ sshPort: 40022, guestAddressSign: { evidence: 'DHCP reply sent to the guest (to 255.255.255.255)', sinceStartMs: 21_480 } });
    expect(renderReportMarkdown({ report: seen })).toContain('- Guest address seen at 21.5 s (DHCP reply sent to the guest (to 255.255.255.255)); SSH attempts overlapped from then');
  });

  it('HTML shows a warnings box and a network section, escaped', () => {
    const html = renderReportHtml({ report });
    expect(html).toContain('<div class="warnings"><h3>Warnings</h3><ul><li>L2 networking unavailable (CAP_NET_ADMIN &#60;missing&#62;)');
    expect(html).toContain('<li>NIC 1: bridge br0 in netns hb-seg-1 through tap hbt0011aabb, MAC 02:aa:bb:cc:dd:01</li>');
  });

  it('a report without NICs or warnings has neither section', () => {
    const plain = sampleReport();
    expect(renderReportMarkdown({ report: plain })).not.toContain('## Warnings');
    expect(renderReportHtml({ report: plain })).not.toContain('class="warnings"');
  });
});
