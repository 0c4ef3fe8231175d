// A fresh ed25519 key pair per run, written only into the run dir with mode 0600.
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { UsageError } from '../errors.ts';

export interface SshKeyPair {
  /** OpenSSH private key text. Never printed, logged, or written to boot-logs/. */
  privateKey: string;
  /** One `ssh-ed25519 AAAA… comment` line, as it goes into authorized_keys. */
  publicKey: string;
  /** Where the private key was written (in the run dir), or the user's own key file. */
  privateKeyPath: string;
}

export async function generateRunKey(runDir: string, comment: string): Promise<SshKeyPair> {
  const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
  const privateKeyPath = join(runDir, 'id_ed25519');
  await writeFile(privateKeyPath, pair.private, { mode: 0o600 });
  await writeFile(`${privateKeyPath}.pub`, `${pair.public}\n`, { mode: 0o600 });
  return { privateKey: pair.private, publicKey: pair.public.trim(), privateKeyPath };
}

/** Loads a key the user already baked into the image (`--ssh-key FILE`). */
export async function loadUserKey(privateKeyPath: string): Promise<SshKeyPair> {
  let privateKey: string;
  try {
    privateKey = await readFile(privateKeyPath, 'utf8');
  } catch (error) {
    throw new UsageError(`--ssh-key ${privateKeyPath}`, `cannot read the key (${(error as Error).message})`, 'pass a readable OpenSSH private key file');
  }
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error) {
    throw new UsageError(`--ssh-key ${privateKeyPath}`, `not a private key ssh2 can use (${parsed.message})`, 'pass an unencrypted OpenSSH or PEM private key');
  }
  const key = Array.isArray(parsed) ? parsed[0]! : parsed;
  const publicKey = `${key.type} ${key.getPublicSSH().toString('base64')}`;
  return { privateKey, publicKey, privateKeyPath };
}
