// The nightly workflow parses and still does what CI relies on: triggers, README set-up, doctor,
// sharded boot suites, and artefacts uploaded even when a step failed.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}

interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, { 'runs-on': string; container?: { image: string }; strategy?: { matrix?: { shard?: number[] } }; env?: Record<string, string>; steps: Step[] }>;
}

const path = join(import.meta.dirname, '../../../.github/workflows/nightly-boot.yml');
const workflow = parse(await readFile(path, 'utf8'), { prettyErrors: true, strict: true }) as Workflow;
const job = workflow.jobs.boot!;
const steps = job.steps;
const indexOf = (predicate: (step: Step) => boolean) => steps.findIndex(predicate);

describe('.github/workflows/nightly-boot.yml', () => {
  it('runs nightly and on demand', () => {
    expect(workflow.on.workflow_dispatch).toBeDefined();
    const schedule = workflow.on.schedule as { cron: string }[];
    expect(schedule).toHaveLength(1);
    expect(schedule[0]!.cron.split(' ')).toHaveLength(5);
  });

  it('runs on Linux, in Debian 12, across a shard matrix, with CI=true so vitest writes JUnit', () => {
    expect(job['runs-on']).toBe('ubuntu-latest');
    expect(job.container?.image).toBe('debian:12');
    expect(job.strategy?.matrix?.shard).toEqual([1, 2]);
    expect(job.env?.CI).toBe('true');
  });

  it('checks out, sets up as the README says, runs doctor, then the sharded boot suites, in that order', () => {
    const order = [
      indexOf((step) => step.uses?.startsWith('actions/checkout@') ?? false),
      indexOf((step) => step.uses?.startsWith('actions/setup-node@') ?? false),
      indexOf((step) => step.run === 'bash scripts/setup --all-fixtures'),
      indexOf((step) => step.run === 'npx harness doctor'),
      indexOf((step) => step.run === 'npx vitest run boot --shard=${{ matrix.shard }}/${{ strategy.job-total }}'),
    ];
    expect(order.every((index) => index >= 0), `steps: ${JSON.stringify(order)}`).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(steps.find((step) => step.uses?.startsWith('actions/setup-node@'))?.with?.['node-version']).toBe(20);
  });

  it.each([
    ['boot-logs/', 'boot-logs-shard-${{ matrix.shard }}'],
    ['boot-logs/junit.xml', 'junit-shard-${{ matrix.shard }}'],
  ])('uploads %s as an artefact even when the run failed', (artefactPath, name) => {
    const upload = steps.find((step) => step.uses?.startsWith('actions/upload-artifact@') && step.with?.path === artefactPath);
    expect(upload?.if).toBe('always()');
    expect(upload?.with?.name).toBe(name);
    expect(indexOf((step) => step === upload)).toBeGreaterThan(indexOf((step) => step.run?.startsWith('npx vitest run boot') ?? false));
  });

  it('matches the JUnit path vitest is configured to write', async () => {
    const config = await readFile(join(import.meta.dirname, '../../../vitest.config.ts'), 'utf8');
    expect(config).toContain("outputFile: 'boot-logs/junit.xml'");
  });
});
