// The real doctor environment tells "absent" from "cannot look": only ENOENT/ENOTDIR read as absent; any
// other error (EISDIR here; EACCES and EIO on other hosts) fails the check that asked, naming the path.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DoctorProbeError } from '../../../harness/doctor/doctor-environment.ts';
import { runDoctor } from '../../../harness/doctor/run-doctor.ts';
import { systemDoctorEnvironment } from '../../../harness/doctor/system-doctor-environment.ts';
import { testOptions } from './fake-doctor-environment.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'doctor-environment-'));
  await writeFile(join(dir, 'file'), 'text');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('systemDoctorEnvironment', () => {
  const environment = () => systemDoctorEnvironment({ PATH: process.env.PATH }, dir);

  it('absent is undefined; present is read', async () => {
    expect(await environment().readText('missing')).toBeUndefined();
    expect(await environment().readText('file/below-a-file')).toBeUndefined();
    expect(await environment().readText('file')).toBe('text');
    expect(await environment().stat('missing')).toBeUndefined();
    expect(await environment().access('missing', 'r')).toBe(false);
  });

  it('a read that fails for another reason throws DoctorProbeError with the path and code, instead of "absent"', async () => {
    await expect(environment().readText('.')).rejects.toThrow(DoctorProbeError);
    await expect(environment().readText('.')).rejects.toMatchObject({ path: dir, code: 'EISDIR' });
    await expect(environment().readBytes('.', 0, 16)).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it('the doctor check that met it fails, saying which file could not be looked at', async () => {
    const report = await runDoctor(systemDoctorEnvironment({ PATH: process.env.PATH }, dir), testOptions, {
      checks: [
        {
          id: 'reads-a-folder',
          title: 'reads a folder',
          timeoutMs: 5000,
          run: async ({ env }) => {
            const text = await env.readText('.');
            return { status: text === undefined ? 'warn' : 'pass', seen: 'absent', why: '', fix: '', command: '' };
          },
        },
      ],
    });
    expect(report.checks[0]).toMatchObject({ status: 'fail', seen: `cannot look at ${dir}: EISDIR`, command: `(reading ${dir})` });
  });
});
