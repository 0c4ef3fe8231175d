import { describe, expect, it } from 'vitest';
import { deterministicMac, MacCollisionError, MacRegistry, parseMac } from '../../../harness/net/mac-address.ts';
import { UsageError } from '../../../harness/errors.ts';

describe('deterministicMac', () => {
  it('is stable for a name and position, and differs across names and positions', () => {
    expect(deterministicMac('installer', 0)).toBe(deterministicMac('installer', 0));
    expect(deterministicMac('installer', 0)).not.toBe(deterministicMac('installer', 1));
    expect(deterministicMac('installer', 0)).not.toBe(deterministicMac('installer-2', 0));
  });

  it('is always locally administered and unicast, over many names', () => {
    const seen = new Set<string>();
    for (let index = 0; index < 2000; index++) {
      const mac = deterministicMac(`vm-${index}`, index % 3);
      expect(mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      const first = Number.parseInt(mac.slice(0, 2), 16);
      expect(first & 0x02).toBe(0x02);
      expect(first & 0x01).toBe(0);
      seen.add(mac);
    }
    expect(seen.size).toBe(2000);
  });
});

describe('parseMac', () => {
  it('accepts colon or dash separated hex in any case', () => {
    expect(parseMac('52:54:00:AB:cd:01', 'mac')).toBe('52:54:00:ab:cd:01');
    expect(parseMac('52-54-00-ab-cd-01', 'mac')).toBe('52:54:00:ab:cd:01');
  });

  it.each([
    ['52:54:00:ab:cd', /not a MAC address/],
    ['52:54:00:ab:cd:0g', /not a MAC address/],
    ['ff:ff:ff:ff:ff:ff', /multicast/],
    ['00:00:00:00:00:00', /all-zero/],
  ])('rejects %s naming the input', (value, message) => {
    const error = (() => {
      try {
        parseMac(value, 'nics[2].mac');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).input).toBe('nics[2].mac');
    expect((error as UsageError).message).toMatch(message);
  });
});

describe('MacRegistry', () => {
  it('refuses a MAC a live VM holds, naming both, and frees it on release', () => {
    const registry = new MacRegistry();
    const release = registry.claim('02:00:00:00:00:01', 'vm-a (NIC 0)');
    const error = (() => {
      try {
        registry.claim('02:00:00:00:00:01', 'vm-b (NIC 1)');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(MacCollisionError);
    expect((error as MacCollisionError).owner).toBe('vm-a (NIC 0)');
    expect((error as MacCollisionError).message).toMatch(/different names/);
    release();
    expect(() => registry.claim('02:00:00:00:00:01', 'vm-b (NIC 1)')).not.toThrow();
    expect(registry.size).toBe(1);
  });
});
