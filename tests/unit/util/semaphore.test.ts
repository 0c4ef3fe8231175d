import { describe, expect, it } from 'vitest';
import { Semaphore } from '../../../harness/util/semaphore.ts';

describe('Semaphore', () => {
  it('admits at most `limit` holders and serves waiters in order', async () => {
    const semaphore = new Semaphore(2);
    const order: string[] = [];
    const a = await semaphore.acquire();
    const b = await semaphore.acquire();
    const c = semaphore.acquire().then((release) => (order.push('c'), release));
    const d = semaphore.acquire().then((release) => (order.push('d'), release));
    await Promise.resolve();
    expect(semaphore.holders).toBe(2);
    expect(semaphore.queued).toBe(2);
    a();
    a(); // releasing twice is harmless
    const releaseC = await c;
    expect(order).toEqual(['c']);
    b();
    (await d)();
    releaseC();
    expect(order).toEqual(['c', 'd']);
    expect(semaphore.holders).toBe(0);
  });
});
