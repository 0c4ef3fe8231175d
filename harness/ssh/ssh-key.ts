// A fresh ed25519 key pair per run, written only into the run dir with mode 0600.
import { generateKeyPairSync } from 'node:crypto';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { HarnessError, UsageError } from '../errors.ts';
import { ed25519PrivateKeyFile, ed25519PublicLine } from './openssh-key-format.ts';

export interface SshKeyPair {
  /** OpenSSH private key text. Never printed, logged, or written to boot-logs/. */
  privateKey: string;
  /** One `ssh-ed25519 AAAA… comment` line, as it goes into authorized_keys. */
  publicKey: string;
  /** Where the private key was written (in the run dir), or the user's own key file. */
  privateKeyPath: string;
}

/** A new ed25519 key pair in OpenSSH formats, checked to load in ssh2 before any guest sees it. */
export function newEd25519KeyPair(comment: string): { privateKey: string; publicKey: string } {
  const { privateKey: keyObject } = generateKeyPairSync('ed25519');
  const jwk = keyObject.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d ?? '', 'base64url');
  const publicBytes = Buffer.from(jwk.x ?? '', 'base64url');
  const pair = { privateKey: ed25519PrivateKeyFile(seed, publicBytes, comment), publicKey: ed25519PublicLine(publicBytes, comment) };
  const parsed = ssh2.utils.parseKey(pair.privateKey);
  if (parsed instanceof Error) {
    throw new HarnessError(`the run's new SSH key does not load in ssh2 (${parsed.message})`, 'This is a harness bug: please report it with the ssh2 version.');
  }
  return pair;
}

export async function generateRunKey(runDir: string, comment: string): Promise<SshKeyPair> {
  const pair = newEd25519KeyPair(comment);
  const privateKeyPath = join(runDir, 'id_ed25519');
  await writeFile(privateKeyPath, pair.privateKey, { mode: 0o600 });
  await writeFile(`${privateKeyPath}.pub`, `${pair.publicKey}\n`, { mode: 0o600 });
  return { ...pair, privateKeyPath };
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
