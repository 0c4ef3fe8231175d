// The L2 ledger never reads a failure as "nothing to do": an object `ip` refuses to remove is a leak
// (an error naming it, kept in the ledger), an unreadable ledger is an error, and the sweep keeps such runs.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepStaleRuns } from '../../../harness/boot/stale-run-sweep.ts';
import { runDirPrefix } from '../../../harness/boot/run-directory.ts';
import { L2Ledger, L2LeakError, LedgerUnreadableError, ledgerFileName, readLedger } from '../../../harness/net/l2/l2-ledger.ts';

let dir: string;
// `ip` rejects this name before it looks at the host (a slash is not valid in one): a removal that fails, touching nothing.
const unremovable = { kind: 'link' as const, name: 'hb/not-a-name' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'l2-ledger-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('L2Ledger.undo', () => {
  it('an object that cannot be removed is an L2LeakError naming it and why, and stays in the ledger for the sweep', async () => {
    const ledger = new L2Ledger(dir);
    ledger.record(unremovable);
    const error = await ledger.undo().then(() => undefined, (thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(L2LeakError);
    expect((error as L2LeakError).leaked).toEqual([{ object: unremovable, reason: expect.stringMatching(/./) }]);
    expect((error as Error).message).toMatch(/^Left behind on the host: link hb\/not-a-name \(/);
    expect(readLedger(dir)).toEqual([unremovable]);
  });

  it('undoSync reports the same leak instead of dropping it', () => {
    const ledger = new L2Ledger(dir);
    ledger.record(unremovable);
    expect(ledger.undoSync()).toEqual([{ object: unremovable, reason: expect.stringMatching(/./) }]);
  });
});

describe('readLedger', () => {
  it('no ledger: nothing was made; an unreadable or broken one is an error, not "empty"', async () => {
    const none = join(dir, 'none');
    await mkdir(none);
    expect(readLedger(none)).toEqual([]);
    const broken = join(dir, 'broken');
    await mkdir(broken);
    await writeFile(join(broken, ledgerFileName), '[{"kind": "link", "na');
    expect(() => readLedger(broken)).toThrow(LedgerUnreadableError);
    expect(() => readLedger(broken)).toThrow(/cannot be read \(not JSON: .*\): the network objects it lists may be left on the host/);
  });
});

describe('sweepStaleRuns', () => {
  it('keeps a dead run whose ledger it cannot read or undo, and says why', async () => {
    const root = join(dir, 'sweep-root');
    await mkdir(root);
    const deadPid = '4194305';
    const broken = join(root, `${runDirPrefix}broken`);
    await mkdir(broken);
    await writeFile(join(broken, 'owner.pid'), deadPid);
    await writeFile(join(broken, ledgerFileName), 'not json');
    const leaking = join(root, `${runDirPrefix}leaking`);
    await mkdir(leaking);
    await writeFile(join(leaking, 'owner.pid'), deadPid);
    await writeFile(join(leaking, ledgerFileName), JSON.stringify([unremovable]));
    const clean = join(root, `${runDirPrefix}clean`);
    await mkdir(clean);
    await writeFile(join(clean, 'owner.pid'), deadPid);

    const result = await sweepStaleRuns(root);
    expect(result.removedRunDirs).toEqual([clean]);
    expect(result.problems).toEqual([
      expect.stringMatching(new RegExp(`^stale run ${broken} kept: L2 ledger .* cannot be read \\(not JSON`)),
      expect.stringMatching(new RegExp(`^stale run ${leaking} kept: could not remove link hb\\/not-a-name \\(`)),
    ]);
    expect((await stat(broken)).isDirectory()).toBe(true);
    expect(await readFile(join(leaking, ledgerFileName), 'utf8')).toContain(unremovable.name);
  });
});
