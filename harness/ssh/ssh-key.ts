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

// DER prefixes of an ed25519 key (RFC 8410): what comes before the 32 key bytes.
const pkcs8Ed25519Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');
const spkiEd25519Prefix = Buffer.from('302a300506032b6570032100', 'hex');

function keyBytesAfter(prefix: Buffer, der: Buffer, what: string): Buffer {
  if (der.length !== prefix.length + 32 || !der.subarray(0, prefix.length).equals(prefix)) {
    throw new HarnessError(`node:crypto returned an unexpected ed25519 ${what} (${der.length} bytes of DER)`, 'This is a harness bug: please report it with the Node version.');
  }
  return der.subarray(prefix.length);
}

/** A new ed25519 key pair in OpenSSH formats, checked to load in ssh2 before any guest sees it. */
export function newEd25519KeyPair(comment: string): { privateKey: string; publicKey: string } {
  // DER straight from the key generation job, not KeyObject.export({ format: 'jwk' }): on Node 20 that export
  // holds the key's mutex while allocating, and a garbage collection that frees the finished job then
  // locks the same mutex, hanging the process for good (seen in a vitest worker; 3 of 3 stress runs here).
  const pair = generateKeyPairSync('ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
    publicKeyEncoding: { type: 'spki', format: 'der' },
  });
  const seed = keyBytesAfter(pkcs8Ed25519Prefix, pair.privateKey, 'private key');
  const publicBytes = keyBytesAfter(spkiEd25519Prefix, pair.publicKey, 'public key');
  const encoded = { privateKey: ed25519PrivateKeyFile(seed, publicBytes, comment), publicKey: ed25519PublicLine(publicBytes, comment) };
  const parsed = ssh2.utils.parseKey(encoded.privateKey);
  if (parsed instanceof Error) {
    throw new HarnessError(`the run's new SSH key does not load in ssh2 (${parsed.message})`, 'This is a harness bug: please report it with the ssh2 version.');
  }
  return encoded;
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
