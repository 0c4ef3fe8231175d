// Node itself and node-pty, which carries every serial console.
import { finding, type DoctorCheck } from '../doctor-check.ts';

export const minimumNode = { major: 20, minor: 11 };

export const nodeVersionCheck: DoctorCheck = {
  id: 'node.version',
  title: 'Node.js version',
  timeoutMs: 1_000,
  async run({ env }) {
    const command = 'node --version';
    const why = 'The harness uses Node 20.11+ features (explicit resource management lowering, fs.statfs, ESM loaders).';
    const [major = 0, minor = 0] = env.facts.nodeVersion.split('.').map(Number);
    const ok = major > minimumNode.major || (major === minimumNode.major && minor >= minimumNode.minor);
    return ok
      ? finding('pass', `v${env.facts.nodeVersion}`, command, why)
      : finding('fail', `v${env.facts.nodeVersion}, need ≥ ${minimumNode.major}.${minimumNode.minor}`, command, why,
          'Install Node.js 20.11 or newer (e.g. from nodesource or nvm), then run npm ci again.');
  },
};

export const nodePtyCheck: DoctorCheck = {
  id: 'node.pty',
  title: 'node-pty loads and spawns a pty',
  timeoutMs: 5_000,
  async run({ env }) {
    const command = "node-pty spawn('/bin/echo', ['harness-pty-ok'])";
    const why = 'QEMU runs under node-pty so the serial console behaves like a terminal; without it nothing boots.';
    const fix = 'Rebuild the native module: npm rebuild node-pty (needs python3, make, g++).';
    const result = await env.spawnPty('/bin/echo', ['harness-pty-ok'], 4_000);
    if (result.error) return finding('fail', result.error, command, why, fix);
    if (!result.output.includes('harness-pty-ok')) {
      return finding('fail', `pty output was ${JSON.stringify(result.output.slice(0, 80))}, exit ${result.exitCode}`, command, why, fix);
    }
    return finding('pass', `spawned a pty, read its output, exit ${result.exitCode}`, command, why);
  },
};
