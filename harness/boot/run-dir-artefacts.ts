// Makes what a machine recipe asks for in the run dir: the run's key, credentials, firmware variables, overlays.
import { constants, copyFile, readFile, writeFile } from 'node:fs/promises';
import { createOverlay } from './disk-overlay.ts';
import type { RunDirArtefact } from './machine-recipe.ts';
import type { BootPlan } from './boot-options.ts';
import { generateRunKey, loadUserKey, type SshKeyPair } from '../ssh/ssh-key.ts';

export async function makeRunDirArtefacts(artefacts: readonly RunDirArtefact[], qemuImg: string): Promise<void> {
  for (const artefact of artefacts) {
    switch (artefact.kind) {
      case 'secret':
        await writeFile(artefact.path, artefact.text, { mode: 0o600 });
        break;
      case 'smbios-credential': {
        // systemd reads `io.systemd.credential.binary:NAME=<base64>` from SMBIOS type 11 strings.
        const value = (await readFile(artefact.sourcePath)).toString('base64');
        await writeFile(artefact.path, `io.systemd.credential.binary:${artefact.name}=${value}`, { mode: 0o600 });
        break;
      }
      case 'copy':
        await copyFile(artefact.from, artefact.path, artefact.clone ? constants.COPYFILE_FICLONE : 0);
        break;
      case 'overlay':
        await createOverlay(qemuImg, artefact.path, artefact.backing);
        break;
    }
  }
}

/** The run's SSH key: a restored guest trusts the key of the run that saved it; else the user's key, or a fresh one in the run dir. */
export function runSshKey(plan: Pick<BootPlan, 'name' | 'restoreFrom' | 'sshKeyPath'>, runDir: string): Promise<SshKeyPair> {
  if (plan.restoreFrom) return loadUserKey(plan.restoreFrom.privateKeyPath);
  return plan.sshKeyPath ? loadUserKey(plan.sshKeyPath) : generateRunKey(runDir, `boot-harness-${plan.name}`);
}
