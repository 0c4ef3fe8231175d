// Keys whose ed25519 public key starts with 0x00: the ~1 in 256 that ssh2's own generator mangles.
import { newEd25519KeyPair } from '../../harness/ssh/ssh-key.ts';

/** The 32 key bytes of an `ssh-ed25519 AAAA… comment` line. */
export function publicKeyBytes(publicLine: string): Buffer {
  const blob = Buffer.from(publicLine.split(' ')[1]!, 'base64');
  const typeLength = blob.readUInt32BE(0);
  return blob.subarray(4 + typeLength + 4);
}

export function keyWithLeadingZero(comment = 'leading-zero'): ReturnType<typeof newEd25519KeyPair> {
  for (let attempt = 0; attempt < 20_000; attempt += 1) {
    const pair = newEd25519KeyPair(comment);
    if (publicKeyBytes(pair.publicKey)[0] === 0) return pair;
  }
  throw new Error('no key with a leading zero byte in 20000 tries');
}
