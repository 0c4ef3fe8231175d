import { describe, expect, it } from 'vitest';
import { renderDoctorJson } from '../../../harness/doctor/doctor-report-json.ts';
import { defaultMarkdownPath, fileTimestamp, renderDoctorMarkdown } from '../../../harness/doctor/doctor-report-markdown.ts';
import { renderDoctorText } from '../../../harness/doctor/doctor-report-text.ts';
import type { DoctorReport } from '../../../harness/doctor/run-doctor.ts';

const report: DoctorReport = {
  startedAt: '2026-11-23T09:30:38.123Z',
  durationMs: 4321,
  ok: false,
  totals: { pass: 1, warn: 1, fail: 1, skip: 1 },
  accelerator: { accel: 'tcg', requested: 'auto', kvmUsable: false, reason: 'KVM unusable: no "Linux version" within 3000 ms', probeMs: 3012, fromCache: false },
  checks: [
    { id: 'node.version', title: 'Node.js version', status: 'pass', seen: 'v20.20.2', why: 'w1', fix: '', command: 'node --version', durationMs: 1 },
    { id: 'kvm', title: '/dev/kvm usable', status: 'warn', seen: 'KVM unusable', why: 'w2', fix: 'fix nested virtualisation', command: 'qemu -accel kvm', durationMs: 3012 },
    { id: 'qemu.devices', title: 'QEMU virtio devices', status: 'fail', seen: 'missing virtio-rng-pci', why: 'w3', fix: 'apt-get install qemu-system-x86', command: "qemu -device help | grep -E 'virtio-(net|rng)'", durationMs: 40 },
    { id: 'fixture.image', title: 'Default image', status: 'skip', seen: 'no script', why: 'w4', fix: '', command: 'scripts/build-fixture --check', durationMs: 0 },
  ],
};

describe('text report', () => {
  it('shows an icon per status, the seen text and one-line fixes for problems only', () => {
    const text = renderDoctorText(report, { colour: false });
    expect(text).toContain('✅ Node.js version');
    expect(text).toContain('⚠️  /dev/kvm usable');
    expect(text).toContain('❌ QEMU virtio devices');
    expect(text).toContain('⏭  Default image');
    expect(text).toContain('↳ fix: fix nested virtualisation');
    expect(text).toContain('↳ fix: apt-get install qemu-system-x86');
    expect(text.match(/↳ fix/g)).toHaveLength(2);
    expect(text).toContain('Accelerator for boots (auto): TCG: KVM unusable');
    expect(text).toContain('Host NOT ready: 1 pass, 1 warn, 1 fail, 1 skip in 4.3 s');
    expect(text).not.toContain('\u001b[');
  });

  it('colours only when asked', () => {
    expect(renderDoctorText(report, { colour: true })).toContain('\u001b[31m');
  });
});

describe('JSON report', () => {
  it('holds every check with its fields, the verdict and totals', () => {
    const document = JSON.parse(renderDoctorJson(report));
    expect(document).toMatchObject({ ok: false, totals: report.totals, accelerator: report.accelerator, durationMs: 4321 });
    expect(document.checks).toHaveLength(4);
    expect(Object.keys(document.checks[1]).sort()).toEqual(['command', 'durationMs', 'fix', 'id', 'seen', 'status', 'title', 'why']);
  });

  it('writes null when no verdict was recorded', () => {
    expect(JSON.parse(renderDoctorJson({ ...report, accelerator: undefined })).accelerator).toBeNull();
  });
});

describe('Markdown report', () => {
  it('names the file after the UTC start time', () => {
    expect(fileTimestamp('2026-11-23T09:30:38.123Z')).toBe('2026-11-23T09-30-38Z');
    expect(defaultMarkdownPath('/repo/boot-logs/', report.startedAt)).toBe('/repo/boot-logs/2026-11-23T09-30-38Z-doctor.md');
  });

  it('has a condition / command / result table with pipes escaped', () => {
    const markdown = renderDoctorMarkdown(report, { hostname: 'ci-7' });
    expect(markdown).toContain('# Host prerequisite audit: ci-7');
    expect(markdown).toContain('| Condition | Command | Result |');
    expect(markdown).toContain('| Node.js version | `node --version` | ✅ v20.20.2 |');
    expect(markdown).toContain("| QEMU virtio devices | `qemu -device help \\| grep -E 'virtio-(net\\|rng)'` | ❌ missing virtio-rng-pci |");
    expect(markdown).toContain('- **Accelerator (auto):** TCG');
  });

  it('lists the findings to act on with why and fix', () => {
    const markdown = renderDoctorMarkdown(report, { hostname: 'h' });
    const findings = markdown.slice(markdown.indexOf('## Findings to act on'));
    expect(findings).toContain('⚠️ **/dev/kvm usable** (`kvm`): KVM unusable');
    expect(findings).toContain('  - Why it matters: w3');
    expect(findings).toContain('  - Fix: apt-get install qemu-system-x86');
    expect(findings).not.toContain('Node.js');
  });
});
