// A private L2 segment for tests: a network namespace holding a bridge and a dnsmasq DHCP server with
// reservations, plus "service hosts" (namespaces on veths) and uplinks (a veth end in the host's
// namespace, for a macvtap NIC). Nothing on it can reach any other network: the host's namespace has no
// address or route on the segment, so guest traffic stays inside the namespaces made here.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { HarnessError } from '../../errors.ts';
import { createOwnedDirectory } from '../../util/owned-directory.ts';
import { Deadline } from '../../util/deadline.ts';
import { sleep } from '../../util/clock.ts';
import { inNamespace, ip } from './ip-command.ts';
import { harnessInterfaceName, L2Ledger } from './l2-ledger.ts';

export interface SegmentReservation {
  mac: string;
  address: string;
  hostname?: string;
}

export interface TestSegmentOptions {
  /** First three octets of the segment's /24 (default 10.213.0); the DHCP server is `.1`. */
  subnet?: string;
  /** Fixed leases by MAC; more can be added later with `reserve`. */
  reservations?: SegmentReservation[];
}

export interface SegmentLease {
  expiresAt: number;
  mac: string;
  address: string;
  hostname: string;
}

export class SegmentError extends HarnessError {
  override readonly name = 'SegmentError';
}

/** The bridge's name inside the segment's namespace (names only need to be unique per namespace). */
const bridgeName = 'br0';

export class TestSegment implements AsyncDisposable {
  readonly hosts: SegmentHost[] = [];
  private stopped = false;

  private constructor(
    readonly netns: string,
    readonly subnet: string,
    readonly dir: string,
    private readonly ledger: L2Ledger,
    private readonly dnsmasq: ChildProcess,
    private readonly reservations: SegmentReservation[],
  ) {}

  static async create(options: TestSegmentOptions = {}): Promise<TestSegment> {
    const subnet = options.subnet ?? '10.213.0';
    if (!/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(subnet)) throw new SegmentError(`subnet \`${subnet}\`: expected three octets such as 10.213.0`);
    const dir = await createOwnedDirectory('segment-');
    const ledger = new L2Ledger(dir);
    const netns = `hb-seg-${randomBytes(4).toString('hex')}`;
    try {
      ledger.record({ kind: 'netns', name: netns });
      await ip(['netns', 'add', netns]);
      await ip(['link', 'set', 'dev', 'lo', 'up'], { netns });
      await ip(['link', 'add', 'name', bridgeName, 'type', 'bridge'], { netns });
      await ip(['addr', 'add', `${subnet}.1/24`, 'dev', bridgeName], { netns });
      await ip(['link', 'set', 'dev', bridgeName, 'up'], { netns });
      const reservations = [...(options.reservations ?? [])];
      await writeFile(join(dir, 'dhcp-hosts'), hostsFile(reservations), { mode: 0o600 });
      const dnsmasq = startDnsmasq(netns, subnet, dir);
      ledger.record({ kind: 'process', pid: dnsmasq.pid ?? 0, commandIncludes: join(dir, 'dnsmasq.leases') });
      const segment = new TestSegment(netns, subnet, dir, ledger, dnsmasq, reservations);
      await segment.waitForDnsmasq();
      return segment;
    } catch (error) {
      await ledger.undo();
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  get bridge(): string {
    return bridgeName;
  }

  /** The segment's own address: DHCP server and default gateway handed to clients. */
  get serverAddress(): string {
    return `${this.subnet}.1`;
  }

  /** A NIC option for `bootVm({ nics: [...] })` that puts the guest on this segment's bridge. */
  bridgeNic(options: { mac?: string } = {}): { mode: 'bridge'; bridge: string; netns: string; mac?: string } {
    return { mode: 'bridge', bridge: bridgeName, netns: this.netns, ...(options.mac ? { mac: options.mac } : {}) };
  }

  /** Adds a fixed lease; dnsmasq rereads its hosts file on SIGHUP. */
  async reserve(reservation: SegmentReservation): Promise<void> {
    this.reservations.push(reservation);
    await writeFile(join(this.dir, 'dhcp-hosts'), hostsFile(this.reservations), { mode: 0o600 });
    this.dnsmasq.kill('SIGHUP');
  }

  /**
   * A veth pair: one end on the bridge, the other in the host's namespace (no address, IPv6 off), named
   * as returned. A macvtap NIC on that end puts a guest on this segment without a bridge on the host.
   */
  async addUplink(): Promise<string> {
    const hex = randomBytes(4).toString('hex');
    const outside = harnessInterfaceName('u', hex);
    const inside = harnessInterfaceName('v', hex);
    this.ledger.record({ kind: 'link', name: outside });
    await ip(['link', 'add', 'name', outside, 'type', 'veth', 'peer', 'name', inside, 'netns', this.netns]);
    // The host's namespace must not talk on the segment (router solicitations, DAD): no IPv6 on it.
    // Only quiets IPv6 chatter on the veth; a kernel without IPv6 has no such file, and nothing depends on it.
    await writeFile(`/proc/sys/net/ipv6/conf/${outside}/disable_ipv6`, '1').catch(() => undefined);
    await ip(['link', 'set', 'dev', inside, 'master', bridgeName, 'up'], { netns: this.netns });
    await ip(['link', 'set', 'dev', outside, 'up']);
    return outside;
  }

  /** Another machine on the segment: its own namespace, a veth on the bridge, a static address. */
  async addHost(name: string, address: string): Promise<SegmentHost> {
    const hex = randomBytes(4).toString('hex');
    const netns = `hb-host-${name.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 20)}-${hex}`;
    const inside = harnessInterfaceName('v', hex);
    this.ledger.record({ kind: 'netns', name: netns });
    await ip(['netns', 'add', netns]);
    await ip(['link', 'set', 'dev', 'lo', 'up'], { netns });
    await ip(['link', 'add', 'name', inside, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns], { netns: this.netns });
    await ip(['link', 'set', 'dev', inside, 'master', bridgeName, 'up'], { netns: this.netns });
    await ip(['addr', 'add', `${address}/24`, 'dev', 'eth0'], { netns });
    await ip(['link', 'set', 'dev', 'eth0', 'up'], { netns });
    const host = new SegmentHost(name, netns, address);
    this.hosts.push(host);
    return host;
  }

  /** The leases dnsmasq has handed out, from its lease file. */
  async leases(): Promise<SegmentLease[]> {
    // dnsmasq writes its lease file on the first lease: no file yet is no leases.
    const text = await readFile(join(this.dir, 'dnsmasq.leases'), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => {
        const [expiry, mac, address, hostname] = line.split(' ');
        return { expiresAt: Number(expiry), mac: mac ?? '', address: address ?? '', hostname: hostname ?? '*' };
      });
  }

  /** dnsmasq's log (`--log-dhcp`): every DISCOVER/OFFER/REQUEST/ACK, for a failure message. */
  async dhcpLog(): Promise<string> {
    // Evidence only: no log yet is an empty log.
    return readFile(join(this.dir, 'dnsmasq.log'), 'utf8').catch(() => '');
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.dnsmasq.kill('SIGKILL');
    await this.ledger.undo();
    await rm(this.dir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private async waitForDnsmasq(): Promise<void> {
    const deadline = Deadline.after(10_000);
    while (!deadline.expired) {
      if (this.dnsmasq.exitCode !== null) break;
      if ((await this.dhcpLog()).includes('DHCP, IP range')) return;
      await sleep(50);
    }
    const log = await this.dhcpLog();
    throw new SegmentError(
      this.dnsmasq.exitCode !== null ? `dnsmasq exited (code ${this.dnsmasq.exitCode}) while starting` : 'dnsmasq did not start within 10 s',
      `dnsmasq said:\n${log.trim() || '(nothing)'}\nFix: install dnsmasq-base (scripts/setup does) and run as root.`,
    );
  }
}

/** A machine on a test segment, reachable only from inside its namespace. */
export class SegmentHost {
  constructor(
    readonly name: string,
    readonly netns: string,
    readonly address: string,
  ) {}

  /** Runs a command in the host's namespace; never rejects on exit status. */
  exec(command: readonly string[], timeoutMs = 30_000): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    return inNamespace(this.netns, command, timeoutMs);
  }

  /** `ping -c count` from this host; true when a reply came back. */
  async ping(address: string, count = 3): Promise<{ reachable: boolean; output: string }> {
    const result = await this.exec(['ping', '-c', String(count), '-W', '2', address]);
    return { reachable: result.exitCode === 0, output: result.stdout + result.stderr };
  }

  /**
   * A byte stream to `address:port` opened from inside this host's namespace (a small relay process
   * there), e.g. for ssh2's `sock`: the harness's own SSH client then talks to a guest on the segment.
   */
  openStream(address: string, port: number): Duplex {
    const relay = spawn('ip', ['netns', 'exec', this.netns, process.execPath, '-e', relayScript, address, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const stream = Duplex.from({ readable: relay.stdout, writable: relay.stdin });
    relay.on('error', (error) => stream.destroy(error));
    stream.once('close', () => relay.kill('SIGKILL'));
    // Our side ended (ssh2 ends, it does not destroy): the relay closes the socket and exits; never wait on it.
    stream.once('finish', () => setTimeout(() => relay.kill('SIGKILL'), 2000).unref());
    relay.once('exit', () => stream.destroy());
    return stream;
  }
}

const relayScript = `
const net = require('node:net');
const socket = net.connect(Number(process.argv[2]), process.argv[1]);
process.stdin.pipe(socket);
socket.pipe(process.stdout);
socket.on('error', (error) => { process.stderr.write(String(error)); process.exit(1); });
socket.on('close', () => process.exit(0));
process.stdin.on('end', () => { socket.end(); setTimeout(() => process.exit(0), 500); });
`;

function hostsFile(reservations: readonly SegmentReservation[]): string {
  return reservations.map((r) => `${r.mac},${r.address}${r.hostname ? `,${r.hostname}` : ''}\n`).join('');
}

function startDnsmasq(netns: string, subnet: string, dir: string): ChildProcess {
  const args = [
    '--pdeathsig', 'KILL', '--',
    'ip', 'netns', 'exec', netns,
    'dnsmasq',
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-resolv', '--no-hosts', '--port=0',
    `--interface=${bridgeName}`, '--bind-interfaces',
    `--dhcp-range=${subnet}.100,${subnet}.199,255.255.255.0,10m`,
    `--dhcp-option=option:router,${subnet}.1`,
    `--dhcp-hostsfile=${join(dir, 'dhcp-hosts')}`,
    `--dhcp-leasefile=${join(dir, 'dnsmasq.leases')}`,
    '--dhcp-authoritative',
    '--log-dhcp', `--log-facility=${join(dir, 'dnsmasq.log')}`,
    '--user=root', '--group=root',
    `--pid-file=${join(dir, 'dnsmasq.pid')}`,
  ];
  const child = spawn('setpriv', args, { stdio: 'ignore' });
  child.on('error', () => undefined);
  return child;
}
