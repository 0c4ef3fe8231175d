// Runs a workflow job's steps on this machine the way a GitHub runner would, so the boot-harness action can
// be tested without GitHub: `run:` steps with bash, a local composite action (`uses: ./path`) step by step
// with its inputs, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_ENV files, step outputs and `${{ }}`
// expressions; `uses:` steps of actions from elsewhere (checkout, cache, upload-artifact) cannot run here
// and are skipped, saying so.
//   node --import tsx scripts/run-action-locally.ts <workflow.yml> [--job ID] [--workspace DIR] [--runner-temp DIR]
// Exit code: 0 every step that ran succeeded, 1 a step failed, 2 bad usage.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  shell?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  'working-directory'?: string;
}

interface ActionInput {
  default?: string;
  required?: boolean;
}

interface Context {
  inputs: Record<string, string>;
  steps: Record<string, { outputs: Record<string, string>; outcome: string }>;
  github: Record<string, string>;
  runner: Record<string, string>;
  env: Record<string, string>;
  /** True once a step failed: `success()` is then false. */
  failed: boolean;
}

export interface LocalRunResult {
  exitCode: number;
  summaryPath: string;
  log: string[];
}

/** Evaluates the expression subset the boot-harness action uses: property paths, 'literals', ||, ==, !=, always(), success(), failure(). */
export function evaluate(expression: string, context: Context): string | boolean {
  const text = expression.trim();
  const or = splitTop(text, '||');
  if (or.length > 1) {
    for (const part of or) {
      const value = evaluate(part, context);
      if (value !== '' && value !== false) return value;
    }
    return '';
  }
  const and = splitTop(text, '&&');
  if (and.length > 1) return and.every((part) => truthy(evaluate(part, context)));
  for (const operator of ['==', '!='] as const) {
    const sides = splitTop(text, operator);
    if (sides.length === 2) {
      const equal = String(evaluate(sides[0]!, context)).toLowerCase() === String(evaluate(sides[1]!, context)).toLowerCase();
      return operator === '==' ? equal : !equal;
    }
  }
  if (text === 'always()') return true;
  if (text === 'success()') return !context.failed;
  if (text === 'failure()') return context.failed;
  if (/^'.*'$/.test(text)) return text.slice(1, -1).replaceAll("''", "'");
  if (text === 'true' || text === 'false') return text === 'true';
  const path = /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/.test(text) ? text.split('.') : undefined;
  if (!path) throw new Error(`unsupported expression \`${expression}\` (this runner knows property paths, 'literals', ||, &&, ==, !=, always(), success(), failure())`);
  let value: unknown = context;
  for (const key of path) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value === undefined || value === null ? '' : String(value);
}

function splitTop(text: string, operator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    if (text[index] === "'") quoted = !quoted;
    else if (!quoted && text.startsWith(operator, index)) {
      parts.push(text.slice(start, index));
      start = index + operator.length;
      index += operator.length - 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim());
}

function truthy(value: string | boolean): boolean {
  return value !== '' && value !== false;
}

/** `${{ … }}` replaced in a string, as GitHub does for `with`, `env` and `run` values. */
export function interpolate(value: unknown, context: Context): string {
  return String(value ?? '').replace(/\$\{\{([\s\S]*?)\}\}/g, (_match, expression: string) => String(evaluate(expression, context)));
}

function condition(step: Step, context: Context): boolean {
  if (step.if === undefined) return !context.failed;
  const expression = String(step.if).replace(/^\s*\$\{\{([\s\S]*)\}\}\s*$/, '$1');
  const usesStatus = /\b(always|success|failure|cancelled)\(\)/.test(expression);
  const value = truthy(evaluate(expression, context));
  // GitHub adds an implicit success() to a condition that names no status function.
  return usesStatus ? value : value && !context.failed;
}

/** `name=value` lines and `name<<DELIMITER` blocks, as the runner reads GITHUB_OUTPUT and GITHUB_ENV. */
export function parseCommandFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const body: string[] = [];
      while (++index < lines.length && lines[index] !== heredoc[2]) body.push(lines[index]!);
      values[heredoc[1]!] = body.join('\n');
    } else if (line.includes('=')) {
      values[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return values;
}

export function runWorkflowJob(options: { workflowPath: string; job?: string; workspace?: string; runnerTemp?: string; env?: NodeJS.ProcessEnv }): LocalRunResult {
  const workflowPath = resolve(options.workflowPath);
  const workflow = parse(readFileSync(workflowPath, 'utf8')) as { jobs: Record<string, { steps: Step[]; env?: Record<string, unknown> }> };
  const jobId = options.job ?? Object.keys(workflow.jobs)[0]!;
  const job = workflow.jobs[jobId];
  if (!job) throw new Error(`${workflowPath} has no job \`${jobId}\``);
  const workspace = resolve(options.workspace ?? dirname(dirname(dirname(workflowPath))));
  const runnerTemp = resolve(options.runnerTemp ?? mkdtempSync(join(tmpdir(), 'runner-temp-')));
  mkdirSync(runnerTemp, { recursive: true });
  const summaryPath = join(runnerTemp, 'job-summary.md');
  writeFileSync(summaryPath, '');
  const log: string[] = [];
  const baseEnv = options.env ?? process.env;
  const github = {
    workspace,
    server_url: baseEnv.GITHUB_SERVER_URL ?? 'https://github.com',
    repository: baseEnv.GITHUB_REPOSITORY ?? 'local/throwaway',
    run_id: baseEnv.GITHUB_RUN_ID ?? String(Date.now()),
    action_path: '',
  };
  const jobEnv: Record<string, string> = {};
  const jobContext: Context = { inputs: {}, steps: {}, github, runner: { temp: runnerTemp, os: 'Linux' }, env: jobEnv, failed: false };
  for (const [key, value] of Object.entries(job.env ?? {})) jobEnv[key] = interpolate(value, jobContext);

  let counter = 0;
  const runSteps = (steps: Step[], context: Context, label: string): void => {
    for (const step of steps) {
      const title = `${label}${step.name ?? step.id ?? step.uses ?? 'run'}`;
      if (!condition(step, context)) {
        log.push(`SKIP ${title} (condition \`${step.if ?? 'success()'}\` is false)`);
        continue;
      }
      if (step.uses?.startsWith('./')) {
        const actionDir = resolve(workspace, step.uses);
        const action = parse(readFileSync(join(actionDir, existsSync(join(actionDir, 'action.yml')) ? 'action.yml' : 'action.yaml'), 'utf8')) as {
          inputs?: Record<string, ActionInput>;
          runs: { using: string; steps: Step[] };
        };
        if (action.runs.using !== 'composite') throw new Error(`${step.uses}: only composite actions run here, not \`${action.runs.using}\``);
        const inputs: Record<string, string> = {};
        for (const [name, input] of Object.entries(action.inputs ?? {})) {
          const given = step.with?.[name];
          inputs[name] = given === undefined ? String(input.default ?? '') : interpolate(given, context);
          if (input.required && inputs[name] === '') throw new Error(`${step.uses}: required input \`${name}\` not given`);
        }
        for (const name of Object.keys(step.with ?? {})) if (!(name in inputs)) log.push(`WARN ${title}: unexpected input \`${name}\` (the action does not declare it)`);
        const inner: Context = { inputs, steps: {}, github: { ...github, action_path: actionDir }, runner: context.runner, env: context.env, failed: context.failed };
        log.push(`RUN  ${title} (composite action ${step.uses})`);
        runSteps(action.runs.steps, inner, `${title} › `);
        context.failed ||= inner.failed;
        if (step.id) context.steps[step.id] = { outputs: {}, outcome: inner.failed ? 'failure' : 'success' };
        continue;
      }
      if (step.uses) {
        log.push(`SKIP ${title}: \`uses: ${step.uses}\` is an action from outside this repository; it cannot run here`);
        continue;
      }
      const shell = step.shell ?? 'bash';
      if (shell !== 'bash') throw new Error(`${title}: only \`shell: bash\` runs here, not \`${shell}\``);
      counter++;
      const outputPath = join(runnerTemp, `output-${counter}`);
      const stepSummary = join(runnerTemp, `step-summary-${counter}`);
      const envPath = join(runnerTemp, `env-${counter}`);
      const scriptPath = join(runnerTemp, `step-${counter}.sh`);
      for (const path of [outputPath, stepSummary, envPath]) writeFileSync(path, '');
      writeFileSync(scriptPath, interpolate(step.run, context));
      const env: NodeJS.ProcessEnv = {
        ...baseEnv,
        ...context.env,
        CI: 'true',
        GITHUB_ACTIONS: 'true',
        GITHUB_WORKSPACE: workspace,
        GITHUB_ACTION_PATH: context.github.action_path ?? '',
        GITHUB_OUTPUT: outputPath,
        GITHUB_STEP_SUMMARY: stepSummary,
        GITHUB_ENV: envPath,
        GITHUB_RUN_ID: github.run_id,
        GITHUB_REPOSITORY: github.repository,
        GITHUB_SERVER_URL: github.server_url,
        RUNNER_TEMP: runnerTemp,
        RUNNER_OS: 'Linux',
      };
      for (const [key, value] of Object.entries(step.env ?? {})) env[key] = interpolate(value, context);
      const cwd = step['working-directory'] ? resolve(workspace, interpolate(step['working-directory'], context)) : workspace;
      // As GitHub runs `shell: bash`: no profile, errexit and pipefail.
      const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', scriptPath], { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
      const exitCode = result.status ?? 1;
      const outputs = parseCommandFile(readFileSync(outputPath, 'utf8'));
      if (step.id) context.steps[step.id] = { outputs, outcome: exitCode === 0 ? 'success' : 'failure' };
      Object.assign(context.env, parseCommandFile(readFileSync(envPath, 'utf8')));
      appendFileSync(summaryPath, readFileSync(stepSummary, 'utf8'));
      log.push(`${exitCode === 0 ? 'OK  ' : 'FAIL'} ${title}${exitCode === 0 ? '' : ` (exit ${exitCode})`}`);
      if (exitCode !== 0) context.failed = true;
    }
  };
  runSteps(job.steps, jobContext, '');
  return { exitCode: jobContext.failed ? 1 : 0, summaryPath, log };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const at = args.indexOf(name);
    return at >= 0 ? args.splice(at, 2)[1] : undefined;
  };
  const job = flag('--job');
  const workspace = flag('--workspace');
  const runnerTemp = flag('--runner-temp');
  if (args.length !== 1) {
    process.stderr.write('usage: node --import tsx scripts/run-action-locally.ts <workflow.yml> [--job ID] [--workspace DIR] [--runner-temp DIR]\n');
    process.exit(2);
  }
  const result = runWorkflowJob({ workflowPath: args[0]!, ...(job ? { job } : {}), ...(workspace ? { workspace } : {}), ...(runnerTemp ? { runnerTemp } : {}) });
  process.stdout.write(`\n${result.log.join('\n')}\nJob summary: ${result.summaryPath}\n`);
  process.exitCode = result.exitCode;
}
