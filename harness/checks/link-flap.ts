// What an image must do across a link flap (the cable pulled and plugged back, a switch port bouncing):
// `lan` keeps its name, the DHCP lease is renewed once the carrier is back, SSH works after.
import type { CheckResult } from './check-result.ts';
import type { CommandRunner } from '../command/command-runner.ts';
import { monotonicNowMs, sleep } from '../util/clock.ts';
import { Deadline } from '../util/deadline.ts';
import { evidenceOf, runCheck } from './check-runner.ts';
import { interfaceNames, sshReachable } from './pre-nixos-checks.ts';
import type { SshTarget } from '../ssh/ssh-client.ts';

export interface LinkFlapTarget {
  /** A runner that does not go through the flapped link (the serial shell). */
  runner: CommandRunner;
  /** Takes the guest NIC's link down or up (`vm.setLink(0, up)`). */
  setLink: (up: boolean) => Promise<void>;
  /** Where SSH should answer after the flap; undefined: no SSH check. */
  ssh?: { target: SshTarget; timeoutMs: number } | undefined;
}

export interface LinkFlapOptions {
  name?: string;
  /** How long the link stays down (default 3000 ms: longer than a DHCP client's carrier debounce). */
  downMs?: number;
  /** Budget for the lease to be renewed once the link is back (default 60 s). */
  renewTimeoutMs?: number;
}

/** The `valid_lft` of the interface's IPv4 address in seconds, `forever` for a static one, undefined without one. */
export function addressLifetime(ipAddrOutput: string): { address: string; validSeconds: number | 'forever' } | undefined {
  const match = /inet (\d+\.\d+\.\d+\.\d+)\/\d+[\s\S]*?valid_lft (forever|\d+)/.exec(ipAddrOutput);
  if (!match) return undefined;
  return { address: match[1]!, validSeconds: match[2] === 'forever' ? 'forever' : Number(match[2]) };
}

/**
 * Flaps the link once and checks what must survive it. A renewed lease shows as the address's remaining
 * lifetime jumping back up: without a renewal it only counts down (any DHCP client that sets lifetimes,
 * systemd-networkd's and the default image's, shows it the same way).
 */
export async function linkFlapChecks(target: LinkFlapTarget, options: LinkFlapOptions = {}): Promise<CheckResult[]> {
  const name = options.name ?? 'lan';
  const downMs = options.downMs ?? 3000;
  const renewTimeoutMs = options.renewTimeoutMs ?? 60_000;
  const runner = target.runner;
  const addressCommand = `ip -4 -o addr show dev ${name}`;

  const before = await runner.execute(addressCommand);
  const beforeAtMs = monotonicNowMs();
  const lifetimeBefore = addressLifetime(before.stdout);
  await target.setLink(false);
  await sleep(downMs);
  const whileDown = await runner.execute(`ip -o link show dev ${name}`);
  await target.setLink(true);

  const checks: CheckResult[] = [];
  checks.push(
    await runCheck('link-flap-name', `${name} keeps its name across a link flap`, async () => {
      const links = await runner.execute('ip -o link show');
      const names = interfaceNames(links.stdout);
      const sawCarrierLoss = /NO-CARRIER|state DOWN|LOWERLAYERDOWN/.test(whileDown.stdout);
      const passed = names.includes(name) && sawCarrierLoss;
      return {
        passed,
        verdict: !sawCarrierLoss
          ? `the guest did not see the link go down (${whileDown.stdout.trim() || 'no output'})`
          : passed
            ? `${name} present after the flap; while down it showed NO-CARRIER`
            : `no interface named ${name} after the flap; interfaces: ${names.join(', ') || 'none'}`,
        evidence: [evidenceOf(before), evidenceOf(whileDown), evidenceOf(links)],
      };
    }),
  );
  checks.push(
    await runCheck('link-flap-lease', `DHCP lease on ${name} renewed after the link came back`, async () => {
      if (!lifetimeBefore) return { passed: false, verdict: `no IPv4 address on ${name} before the flap`, evidence: [evidenceOf(before)] };
      if (lifetimeBefore.validSeconds === 'forever') {
        return { passed: false, verdict: `${lifetimeBefore.address} on ${name} has no lease lifetime (static, not from DHCP)`, evidence: [evidenceOf(before)] };
      }
      const validBefore = lifetimeBefore.validSeconds;
      // Without a renewal the lifetime counts down from `validBefore`; a lease renewed after the link came
      // back (downMs after the first reading at least) is that many seconds above the countdown, or more.
      const renewed = (after: ReturnType<typeof addressLifetime>) =>
        after !== undefined && after.validSeconds !== 'forever' && after.validSeconds >= validBefore - Math.floor((monotonicNowMs() - beforeAtMs) / 1000) + 2;
      const deadline = Deadline.after(renewTimeoutMs);
      let after = await runner.execute(addressCommand);
      let lifetimeAfter = addressLifetime(after.stdout);
      while (!renewed(lifetimeAfter) && !deadline.expired) {
        await sleep(1000);
        after = await runner.execute(addressCommand);
        lifetimeAfter = addressLifetime(after.stdout);
      }
      const passed = renewed(lifetimeAfter);
      return {
        passed,
        verdict: passed
          ? `${lifetimeAfter!.address}: lease renewed, lifetime ${String(lifetimeAfter!.validSeconds)} s (${validBefore} s before the flap, counting down)`
          : lifetimeAfter
            ? `not renewed in ${renewTimeoutMs} ms: lifetime ${String(lifetimeAfter.validSeconds)} s, only counting down from ${validBefore} s before the flap`
            : `no IPv4 address on ${name} ${renewTimeoutMs} ms after the link came back`,
        evidence: [evidenceOf(before), evidenceOf(after)],
      };
    }),
  );
  if (target.ssh) checks.push(await sshReachable(target.ssh.target, target.ssh.timeoutMs));
  return checks;
}
