// How many connections the guest's sshd served this boot, from its journal: one sshd pid per connection,
// the listener's aside. Shared by the systemd suite and bench/ssh/connections-under-load.ts.
import type { CommandRunner } from '../../harness/command/command-runner.ts';

export interface SshdConnections {
  /** sshd's journal of this boot (`short-monotonic`). */
  log: string;
  /** The listening sshd's pid; undefined when sshd never listened. */
  listenerPid: string | undefined;
  connections: number;
}

export async function sshdConnections(shell: CommandRunner): Promise<SshdConnections> {
  const log = (await shell.execute('journalctl -b --no-pager -o short-monotonic -t sshd')).stdout;
  const listenerPid = /sshd\[(\d+)\]: Server listening/.exec(log)?.[1];
  const pids = new Set([...log.matchAll(/sshd\[(\d+)\]:/g)].map((match) => match[1]));
  if (listenerPid) pids.delete(listenerPid);
  return { log, listenerPid, connections: pids.size };
}
