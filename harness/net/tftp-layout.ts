// Pure: where a chain's files sit for slirp's built-in TFTP server and which names the guest asks for.

/** slirp answers TFTP on its host alias; a server bound to 127.0.0.1 is reached there too. */
export const slirpHostAddress = '10.0.2.2';

export interface TftpLayout {
  /** Folder given to slirp as `tftp=`; every file the guest may fetch sits directly in it. */
  root: string;
  /** slirp's DHCP `bootfile=`: a name relative to the TFTP root (iPXE fetches it from the next server). */
  bootFile: string;
  /** The guest-side URL of a file in the root, for use inside the boot script. */
  url(fileName: string): string;
}

export function tftpLayout(root: string, scriptName: string): TftpLayout {
  checkFileName(scriptName);
  return {
    root,
    bootFile: scriptName,
    url(fileName: string): string {
      checkFileName(fileName);
      return `tftp://${slirpHostAddress}/${encodeURIComponent(fileName)}`;
    },
  };
}

/** Guest-side HTTP URL of a file served by a loopback server on `port`. */
export function slirpHttpUrl(port: number, fileName: string): string {
  checkFileName(fileName);
  return `http://${slirpHostAddress}:${port}/${encodeURIComponent(fileName)}`;
}

// Flat names only: a chain folder has no subfolders, and a name is never a path.
function checkFileName(name: string): void {
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name === '.' || name === '..') {
    throw new RangeError(`chain file name must be a plain file name, got ${JSON.stringify(name)}`);
  }
}
