// Pure: reads what iPXE printed on the console: the fetch it was doing when it failed, and its own words.

export interface IpxeFailure {
  /** The URL iPXE was fetching when it failed, when the console shows one. */
  url: string | undefined;
  /** iPXE's error text, with its 80-column wrap undone, e.g. `No such file or directory (http://ipxe.org/2d0c613b)`. */
  said: string;
}

/**
 * `http://10.0.2.2:41234/initrd.img... ok` or `... No such file or directory (http://ipxe.org/…)`; a slow
 * fetch prints a dot a second or so after the three, and they all go before the outcome.
 */
const fetchLine = /^\s*((?:https?|tftp|ftp|nfs):\/\/\S+?)\.{3,}\s*(.*)$/;
const errorLine = /^(?:Could not boot(?: image)?|Could not start download|Configuring \([^)]*\)[. ]*)(?::\s*)?(.*)$/;

/** Pulls the URL in progress and iPXE's message out of console lines (oldest first); iPXE wraps long lines at 80 columns. */
export function findIpxeFailure(lines: readonly string[], fallbackSaid: string): IpxeFailure {
  const joined = unwrap(lines);
  let url: string | undefined;
  let said: string | undefined;
  for (const line of joined) {
    const fetch = fetchLine.exec(line);
    if (fetch) {
      const outcome = (fetch[2] ?? '').trim();
      if (outcome === 'ok' || outcome === '') continue;
      url = fetch[1];
      said = outcome;
      continue;
    }
    const error = errorLine.exec(line.trim());
    if (error && !said && (error[1] ?? '').trim()) said = (error[1] ?? '').trim();
  }
  if (!said) {
    const dhcp = joined.find((line) => /No configuration methods succeeded/.test(line));
    said = dhcp ? dhcp.trim() : fallbackSaid.trim();
  }
  return { url, said };
}

// iPXE wraps at 80 columns, often inside its `(http://ipxe.org/<code>)` reference (anywhere in it): a line
// with a parenthesis still open continues on the next one. So does a fetch still printing its progress
// dots: a slow one (slirp took 80 s to reset a connection once) fills the line with them and wraps.
function unwrap(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const previous = out.at(-1);
    if (previous !== undefined && (unclosed(previous) || (fetchInProgress(previous) && /^\s*\./.test(line)))) {
      out[out.length - 1] = previous.trimEnd() + line.trim();
    } else {
      out.push(line);
    }
  }
  return out;
}

/** A fetch line with nothing but dots after its URL yet. */
function fetchInProgress(line: string): boolean {
  const fetch = fetchLine.exec(line);
  return fetch !== null && (fetch[2] ?? '').trim() === '';
}

function unclosed(line: string): boolean {
  return (line.match(/\(/g)?.length ?? 0) > (line.match(/\)/g)?.length ?? 0);
}
