// Writes an ed25519 key pair in OpenSSH's own formats (PROTOCOL.key, RFC 8709).
// Not ssh2's generateKeyPairSync: it strips leading zero bytes from the public key, so about one key
// in 256 comes out malformed (mscdex/ssh2#1390, #1513) and SSH to the guest fails for the whole run.
import { randomBytes } from 'node:crypto';

const keyType = 'ssh-ed25519';
const ed25519KeyBytes = 32;
// With cipher "none" the private section is padded to this block size.
const unencryptedBlockSize = 8;

function sshString(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, body]);
}

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value >>> 0);
  return buffer;
}

function checkKeyBytes(what: string, bytes: Buffer): void {
  if (bytes.length !== ed25519KeyBytes) throw new RangeError(`ed25519 ${what} must be ${ed25519KeyBytes} bytes, got ${bytes.length}`);
}

/** The public key blob: string "ssh-ed25519", string of the 32 key bytes (leading zeros kept). */
export function ed25519PublicBlob(publicKey: Buffer): Buffer {
  checkKeyBytes('public key', publicKey);
  return Buffer.concat([sshString(keyType), sshString(publicKey)]);
}

/** One authorized_keys line. */
export function ed25519PublicLine(publicKey: Buffer, comment: string): string {
  const line = `${keyType} ${ed25519PublicBlob(publicKey).toString('base64')}`;
  return comment ? `${line} ${comment}` : line;
}

/** An unencrypted "-----BEGIN OPENSSH PRIVATE KEY-----" file for the key with this 32-byte seed. */
export function ed25519PrivateKeyFile(seed: Buffer, publicKey: Buffer, comment: string, checkInt = randomBytes(4).readUInt32BE()): string {
  checkKeyBytes('seed', seed);
  const publicBlob = ed25519PublicBlob(publicKey);
  const unpadded = Buffer.concat([
    uint32(checkInt),
    uint32(checkInt),
    sshString(keyType),
    sshString(publicKey),
    // OpenSSH keeps the 64-byte "secret key" form: seed followed by the public key.
    sshString(Buffer.concat([seed, publicKey])),
    sshString(comment),
  ]);
  const paddingLength = (unencryptedBlockSize - (unpadded.length % unencryptedBlockSize)) % unencryptedBlockSize;
  const padding = Buffer.from(Array.from({ length: paddingLength }, (_, index) => index + 1));
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob),
    sshString(Buffer.concat([unpadded, padding])),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return ['-----BEGIN OPENSSH PRIVATE KEY-----', ...lines, '-----END OPENSSH PRIVATE KEY-----', ''].join('\n');
}
