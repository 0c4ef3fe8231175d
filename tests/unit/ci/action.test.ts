// action.yml and every workflow validate against GitHub's published schemas (action-validator embeds them,
// so this runs offline); the action declares the inputs teams need; the local step runner evaluates the
// expressions and command files the action relies on the way the GitHub runner does.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { validateAction, validateWorkflow } from '@action-validator/core';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { evaluate, interpolate, parseCommandFile } from '../../../scripts/run-action-locally.ts';

const root = join(import.meta.dirname, '../../..');
const actionText = await readFile(join(root, 'action.yml'), 'utf8');
const action = parse(actionText, { strict: true }) as {
  inputs: Record<string, { description: string; default?: string }>;
  runs: { using: string; steps: { name?: string; id?: string; uses?: string; run?: string; if?: string; shell?: string; env?: Record<string, string> }[] };
};
const workflowsDir = join(root, '.github/workflows');
const workflowFiles = (await readdir(workflowsDir)).filter((name) => /\.ya?ml$/.test(name));

describe('schemas', () => {
  it('action.yml validates as a GitHub action', () => {
    expect(validateAction(actionText).errors).toEqual([]);
  });

  it.each(workflowFiles)('.github/workflows/%s validates as a GitHub workflow', async (name) => {
    expect(validateWorkflow(await readFile(join(workflowsDir, name), 'utf8')).errors).toEqual([]);
  });

  it('the validator is not a rubber stamp: a misspelt key fails', () => {
    expect(validateAction(actionText.replace('runs:\n  using: composite', 'runs:\n  usin: composite')).errors).not.toEqual([]);
    expect(validateWorkflow('on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n        bogus: 1\n').errors).not.toEqual([]);
  });
});

describe('action.yml', () => {
  it('is a composite action with the inputs the README documents', () => {
    expect(action.runs.using).toBe('composite');
    for (const input of ['iso', 'kernel', 'initrd', 'append', 'ipxe-url', 'firmware', 'disk', 'memory', 'cpus', 'qemu-args', 'expect-storage', 'ssh-key', 'suite', 'timeout-scale', 'retries', 'last-good']) {
      expect(action.inputs[input]?.description, input).toBeTruthy();
    }
  });

  it('never splices an input into a script: inputs reach run steps through env only', () => {
    for (const step of action.runs.steps.filter((item) => item.run)) {
      expect(step.run, step.name).not.toMatch(/\$\{\{/);
      expect(step.shell).toBe('bash');
    }
  });

  it('every script a step runs is in the repository', async () => {
    for (const step of action.runs.steps.filter((item) => item.run)) {
      for (const match of step.run!.matchAll(/"\$GITHUB_ACTION_PATH\/([^"]+)"/g)) {
        expect((await stat(join(root, match[1]!))).isFile(), match[1]).toBe(true);
      }
    }
  });

  it('set-up, doctor, boot, summary, uploads and the verdict, in that order; summary and uploads even after a failure', () => {
    const index = (predicate: (step: (typeof action.runs.steps)[number]) => boolean) => action.runs.steps.findIndex(predicate);
    const order = [
      index((step) => step.run?.includes('scripts/setup') ?? false),
      index((step) => step.run?.includes('doctor') ?? false),
      index((step) => step.id === 'boot'),
      index((step) => step.run?.includes('summary.sh') ?? false),
      index((step) => step.uses?.startsWith('actions/upload-artifact@') ?? false),
      index((step) => step.name === 'Verdict'),
    ];
    expect(order.every((at) => at >= 0), JSON.stringify(order)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(action.runs.steps[order[3]!]!.if).toBe('always()');
    for (const upload of action.runs.steps.filter((step) => step.uses?.startsWith('actions/upload-artifact@'))) expect(upload.if).toBe('always()');
  });
});

describe('the nightly workflow uses the action', () => {
  it('has a job whose step is `uses: ./`', async () => {
    const workflow = parse(await readFile(join(workflowsDir, 'nightly-boot.yml'), 'utf8')) as { jobs: Record<string, { steps: { uses?: string }[] }> };
    const uses = Object.values(workflow.jobs).flatMap((job) => job.steps.map((step) => step.uses));
    expect(uses).toContain('./');
  });
});

describe('local runner expressions', () => {
  const context = {
    inputs: { name: 'nightly', 'timeout-scale': '' },
    steps: { boot: { outputs: { passed: 'true', 'log-dir': '/l' }, outcome: 'success' } },
    github: { server_url: 'https://github.com', repository: 'o/r', run_id: '7' },
    runner: { temp: '/t' },
    env: {},
    failed: false,
  };

  it.each([
    ['inputs.name', 'nightly'],
    ["inputs.timeout-scale || 'auto'", 'auto'],
    ["steps.boot.outputs.passed == 'true'", true],
    ["steps.boot.outputs.passed != 'true'", false],
    ['always()', true],
    ['success()', true],
    ['failure()', false],
    ['steps.missing.outputs.x', ''],
  ] as const)('%s → %j', (expression, value) => {
    expect(evaluate(expression, context)).toBe(value);
  });

  it('interpolates every ${{ }} in a string and refuses what it does not know', () => {
    expect(interpolate('${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}', context)).toBe('https://github.com/o/r/actions/runs/7');
    expect(() => evaluate("contains(inputs.name, 'x')", context)).toThrow(/unsupported expression/);
  });

  it('reads GITHUB_OUTPUT lines and heredocs', () => {
    expect(parseCommandFile('passed=true\nnote<<EOF\ntwo\nlines\nEOF\nempty=\n')).toEqual({ passed: 'true', note: 'two\nlines', empty: '' });
  });
});
