// What "booted" means for a plan, waited for on the serial console: a boot menu answered, then the harness
// shell installed (or a restored one taken over), or the caller's `waitFor` pattern seen.
import type { SerialConsole } from '../console/serial-console.ts';
import { ShellSession } from '../console/shell-session.ts';
import type { BootPlan } from './boot-options.ts';
import type { BootPhase } from './boot-phase.ts';

export type PromptPlan = Pick<BootPlan, 'bootMenu' | 'restoreFrom' | 'waitFor' | 'promptPattern' | 'login'>;

/** The serial shell when the plan waits for one (installed or resumed); undefined otherwise. */
export async function waitForPromptOnSerial(
  serial: SerialConsole,
  plan: PromptPlan,
  timeoutMs: number,
  markPhase: (phase: BootPhase, evidence: string) => void,
): Promise<ShellSession | undefined> {
  if (plan.bootMenu && !plan.restoreFrom) {
    const menu = await serial.expectScreen(plan.bootMenu.waitFor, { timeoutMs });
    serial.send(plan.bootMenu.keys);
    markPhase('menu', `chose ${menu.matchText.slice(0, 100)}`);
  }
  if (plan.restoreFrom) {
    const shell = new ShellSession(serial);
    await shell.resume({ prompt: plan.restoreFrom.prompt, timeoutMs });
    markPhase('prompt', `restored from snapshot ${plan.restoreFrom.snapshotName}`);
    return shell;
  }
  if (plan.waitFor === 'shell') {
    const shell = new ShellSession(serial);
    await shell.initialize({
      timeoutMs,
      ...(plan.promptPattern ? { promptPattern: plan.promptPattern } : {}),
      ...(plan.login ? { login: plan.login } : {}),
    });
    markPhase('prompt', 'harness prompt installed');
    return shell;
  }
  if (plan.waitFor instanceof RegExp) {
    const match = await serial.expect(plan.waitFor, { timeoutMs });
    markPhase('prompt', match.matchText.slice(0, 160));
  }
  return undefined;
}
