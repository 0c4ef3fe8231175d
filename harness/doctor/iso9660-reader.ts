// Reads just enough of an ISO 9660 image to audit it: volume descriptors, El Torito, small files by path.
// Pure over an injected `readAt`, so tests feed it an image built in memory.

export type ReadAt = (position: number, length: number) => Promise<Buffer | undefined>;

export const sectorBytes = 2048;
const firstDescriptorSector = 16;
const maxDescriptors = 64;
const maxFileBytes = 256 * 1024;

export interface DirectoryEntry {
  name: string;
  isDirectory: boolean;
  extentSector: number;
  sizeBytes: number;
}

export interface VolumeDescriptors {
  /** Type codes in order: 0 boot record, 1 primary, 2 supplementary (Joliet), 255 terminator. */
  types: number[];
  volumeId: string | undefined;
  root: DirectoryEntry | undefined;
  /** Boot record with "EL TORITO SPECIFICATION": the image can boot from a CD drive. */
  elTorito: boolean;
}

/** undefined when sector 16 is not a volume descriptor ("CD001"): not an ISO 9660 image. */
export async function readVolumeDescriptors(readAt: ReadAt): Promise<VolumeDescriptors | undefined> {
  const result: VolumeDescriptors = { types: [], volumeId: undefined, root: undefined, elTorito: false };
  for (let index = 0; index < maxDescriptors; index++) {
    const sector = await readAt((firstDescriptorSector + index) * sectorBytes, sectorBytes);
    if (!sector || sector.length < sectorBytes || sector.toString('latin1', 1, 6) !== 'CD001') {
      return index === 0 ? undefined : result;
    }
    const type = sector[0]!;
    result.types.push(type);
    if (type === 0 && sector.toString('latin1', 7, 39).replace(/\0+$/, '').trim() === 'EL TORITO SPECIFICATION') {
      result.elTorito = true;
    } else if (type === 1 && !result.root) {
      result.volumeId = sector.toString('latin1', 40, 72).trim();
      result.root = parseDirectoryRecord(sector.subarray(156, 156 + 34));
    } else if (type === 255) {
      break;
    }
  }
  return result;
}

function parseDirectoryRecord(record: Buffer): DirectoryEntry | undefined {
  const length = record[0] ?? 0;
  if (length < 34 || record.length < 34) return undefined;
  const nameLength = record[32]!;
  const rawName = record.subarray(33, 33 + nameLength);
  const flags = record[25]!;
  let name = rawName.length === 1 && rawName[0]! <= 1 ? (rawName[0] === 0 ? '.' : '..') : rawName.toString('latin1');
  // Rock Ridge keeps the real name in an NM entry of the system use area.
  const systemUseStart = 33 + nameLength + (nameLength % 2 === 0 ? 1 : 0);
  const rockRidgeName = readRockRidgeName(record.subarray(systemUseStart, length));
  if (rockRidgeName !== undefined) name = rockRidgeName;
  else if (name !== '.' && name !== '..') name = name.replace(/;\d+$/, '').replace(/\.$/, '');
  return {
    name,
    isDirectory: (flags & 0x02) !== 0,
    extentSector: record.readUInt32LE(2),
    sizeBytes: record.readUInt32LE(10),
  };
}

function readRockRidgeName(systemUse: Buffer): string | undefined {
  let offset = 0;
  let name: string | undefined;
  while (offset + 4 <= systemUse.length) {
    const signature = systemUse.toString('latin1', offset, offset + 2);
    const length = systemUse[offset + 2]!;
    if (length < 4) break;
    if (signature === 'NM') {
      const flags = systemUse[offset + 4] ?? 0;
      // Flags 2 and 4 mark "." and ".."; bit 0 says the name continues in the next NM entry.
      if ((flags & 0x06) === 0) name = (name ?? '') + systemUse.toString('utf8', offset + 5, offset + length);
    }
    offset += length;
  }
  return name;
}

export async function listDirectory(readAt: ReadAt, directory: DirectoryEntry): Promise<DirectoryEntry[]> {
  const data = await readAt(directory.extentSector * sectorBytes, Math.min(directory.sizeBytes, 1 << 20));
  if (!data) return [];
  const entries: DirectoryEntry[] = [];
  let offset = 0;
  while (offset < data.length) {
    const length = data[offset]!;
    if (length === 0) {
      // Records never cross a sector boundary: zero padding means "continue at the next sector".
      offset = (Math.floor(offset / sectorBytes) + 1) * sectorBytes;
      continue;
    }
    const entry = parseDirectoryRecord(data.subarray(offset, offset + length));
    if (entry && entry.name !== '.' && entry.name !== '..') entries.push(entry);
    offset += length;
  }
  return entries;
}

/** Finds `path` (slash-separated, case-insensitive, since plain ISO 9660 names are upper case). */
export async function findEntry(readAt: ReadAt, root: DirectoryEntry, path: string): Promise<DirectoryEntry | undefined> {
  let current: DirectoryEntry | undefined = root;
  for (const part of path.split('/').filter(Boolean)) {
    if (!current?.isDirectory) return undefined;
    const entries: DirectoryEntry[] = await listDirectory(readAt, current);
    current = entries.find((entry) => entry.name.toLowerCase() === part.toLowerCase());
  }
  return current;
}

export async function readEntryText(readAt: ReadAt, entry: DirectoryEntry): Promise<string | undefined> {
  const data = await readAt(entry.extentSector * sectorBytes, Math.min(entry.sizeBytes, maxFileBytes));
  return data?.toString('utf8');
}
