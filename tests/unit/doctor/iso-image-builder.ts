// Builds tiny ISO 9660 images in memory for tests: primary descriptor, optional El Torito boot record,
// directories and files, plain upper-case names or Rock Ridge NM names.
const sector = 2048;

export interface IsoSpec {
  files: Record<string, string>;
  elTorito?: boolean;
  rockRidge?: boolean;
  volumeId?: string;
}

interface Node {
  name: string;
  children?: Map<string, Node>;
  content?: Buffer;
  sectorIndex: number;
  sizeBytes: number;
}

function record(name: Buffer, extent: number, size: number, isDirectory: boolean, systemUse: Buffer = Buffer.alloc(0)): Buffer {
  const pad = name.length % 2 === 0 ? 1 : 0;
  const length = 33 + name.length + pad + systemUse.length;
  const buffer = Buffer.alloc(length + (length % 2));
  buffer[0] = buffer.length;
  buffer.writeUInt32LE(extent, 2);
  buffer.writeUInt32BE(extent, 6);
  buffer.writeUInt32LE(size, 10);
  buffer.writeUInt32BE(size, 14);
  buffer[25] = isDirectory ? 2 : 0;
  buffer.writeUInt16LE(1, 28);
  buffer[32] = name.length;
  name.copy(buffer, 33);
  systemUse.copy(buffer, 33 + name.length + pad);
  return buffer;
}

function nmEntry(name: string): Buffer {
  const text = Buffer.from(name, 'utf8');
  return Buffer.concat([Buffer.from('NM'), Buffer.from([5 + text.length, 1, 0]), text]);
}

export function buildIso(spec: IsoSpec): Buffer {
  const root: Node = { name: '', children: new Map(), sectorIndex: 0, sizeBytes: sector };
  for (const [path, content] of Object.entries(spec.files)) {
    const parts = path.split('/');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      if (!node.children!.has(part)) node.children!.set(part, { name: part, children: new Map(), sectorIndex: 0, sizeBytes: sector });
      node = node.children!.get(part)!;
    }
    const data = Buffer.from(content, 'utf8');
    node.children!.set(parts.at(-1)!, { name: parts.at(-1)!, content: data, sectorIndex: 0, sizeBytes: data.length });
  }
  let next = 20;
  const all: Node[] = [];
  const allocate = (node: Node) => {
    node.sectorIndex = next;
    next += Math.max(1, Math.ceil(node.sizeBytes / sector));
    all.push(node);
    for (const child of node.children?.values() ?? []) allocate(child);
  };
  allocate(root);
  const image = Buffer.alloc(next * sector);
  const writeDirectory = (node: Node, parent: Node) => {
    const records = [record(Buffer.from([0]), node.sectorIndex, sector, true), record(Buffer.from([1]), parent.sectorIndex, sector, true)];
    for (const child of node.children!.values()) {
      const isoName = child.children ? child.name.toUpperCase() : `${child.name.toUpperCase()};1`;
      const systemUse = spec.rockRidge ? nmEntry(child.name) : undefined;
      records.push(record(Buffer.from(isoName, 'latin1'), child.sectorIndex, child.sizeBytes, Boolean(child.children), systemUse));
    }
    Buffer.concat(records).copy(image, node.sectorIndex * sector);
    for (const child of node.children!.values()) {
      if (child.children) writeDirectory(child, node);
      else child.content!.copy(image, child.sectorIndex * sector);
    }
  };
  writeDirectory(root, root);
  const descriptor = (index: number, type: number) => {
    const offset = index * sector;
    image[offset] = type;
    image.write('CD001', offset + 1, 'latin1');
    image[offset + 6] = 1;
    return offset;
  };
  const primary = descriptor(16, 1);
  image.write((spec.volumeId ?? 'TEST').padEnd(32, ' '), primary + 40, 'latin1');
  record(Buffer.from([0]), root.sectorIndex, sector, true).copy(image, primary + 156);
  let index = 17;
  if (spec.elTorito ?? true) {
    const boot = descriptor(index++, 0);
    image.write('EL TORITO SPECIFICATION', boot + 7, 'latin1');
  }
  descriptor(index, 255);
  return image;
}
