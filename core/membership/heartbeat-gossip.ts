import type { Clock, NodeId, Random, Transport } from '../env';
import { PhiAccrualDetector } from './phi-accrual';

/**
 * Heartbeat gossip: the simplest epidemic membership protocol, and the kernel demo's workload.
 *
 * Every node keeps a table `node → (highest heartbeat seen, local time it last grew)`. Each round it bumps
 * its own heartbeat and sends its whole table to one random peer; the receiver keeps the higher heartbeat per
 * node. Whether a member is up is decided by a φ accrual detector fed with the times its heartbeat grew
 * (gossip makes those arrivals irregular, and the detector learns how irregular), or — with
 * `detector: 'timeout'` — by a fixed `failAfterMicros`. Information spreads in O(log n) rounds; a partition
 * makes each side declare the other down, and after the heal the views converge again — exactly what the
 * demo shows.
 *
 * Wire format (little-endian):
 *
 *     +------+-----------+---------------------------------------------+
 *     | 0x47 | u16 count | count × ( u8 idLength | id bytes | u32 beat ) |
 *     +------+-----------+---------------------------------------------+
 */
export interface HeartbeatGossipOptions {
  members: readonly NodeId[];
  roundMicros?: number;
  /** Fixed timeout (detector 'timeout'), and the pause φ tolerates on top of the learned mean (detector 'phi'). */
  failAfterMicros?: number;
  detector?: 'phi' | 'timeout';
  phiThreshold?: number;
}

interface Entry {
  heartbeat: number;
  lastGrewAtMicros: number;
  phi: PhiAccrualDetector;
}

const MESSAGE_TAG = 0x47;

export class HeartbeatGossip {
  private readonly table = new Map<NodeId, Entry>();
  private readonly peers: NodeId[];
  private readonly roundMicros: number;
  private readonly failAfterMicros: number;
  private readonly usePhi: boolean;
  private timer: number | undefined;
  messagesSent = 0;
  messagesReceived = 0;
  malformedMessages = 0;

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly transport: Transport,
    options: HeartbeatGossipOptions,
  ) {
    this.peers = options.members.filter((member) => member !== transport.self);
    this.roundMicros = options.roundMicros ?? 1_000_000;
    this.failAfterMicros = options.failAfterMicros ?? 5_000_000;
    if (!(this.roundMicros > 0 && this.failAfterMicros > this.roundMicros)) {
      throw new RangeError('heartbeat gossip needs roundMicros > 0 and failAfterMicros > roundMicros');
    }
    this.usePhi = (options.detector ?? 'phi') === 'phi';
    const now = clock.nowMicros();
    for (const member of options.members) {
      const phi = new PhiAccrualDetector({
        threshold: options.phiThreshold ?? 8,
        firstIntervalMicros: this.roundMicros,
        minStdDeviationMicros: this.roundMicros / 2,
        acceptablePauseMicros: 0,
      });
      phi.heartbeat(now);
      this.table.set(member, { heartbeat: 0, lastGrewAtMicros: now, phi });
    }
    transport.onMessage((from, message) => this.receive(from, message));
  }

  start(): void {
    // Desynchronise rounds so 500 nodes do not all gossip in the same microsecond.
    this.schedule(this.random.int(this.roundMicros) + 1);
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.cancelTimer(this.timer);
    this.timer = undefined;
  }

  /** Members this node currently believes are up (including itself). */
  liveMembers(): NodeId[] {
    const now = this.clock.nowMicros();
    const live: NodeId[] = [];
    for (const [member, entry] of this.table) {
      if (member === this.transport.self || this.entryLive(entry, now)) live.push(member);
    }
    return live;
  }

  isLive(member: NodeId): boolean {
    if (member === this.transport.self) return true;
    const entry = this.table.get(member);
    return entry !== undefined && this.entryLive(entry, this.clock.nowMicros());
  }

  /** The φ value this node currently holds for `member` (0 for itself or an unknown member). */
  phiOf(member: NodeId): number {
    const entry = this.table.get(member);
    return entry === undefined || member === this.transport.self ? 0 : entry.phi.phi(this.clock.nowMicros());
  }

  private entryLive(entry: Entry, now: number): boolean {
    return this.usePhi ? entry.phi.isAvailable(now) : now - entry.lastGrewAtMicros < this.failAfterMicros;
  }

  private schedule(delayMicros: number): void {
    this.timer = this.clock.setTimer(delayMicros, () => this.round());
  }

  private round(): void {
    const self = this.table.get(this.transport.self);
    if (self !== undefined) {
      self.heartbeat++;
      self.lastGrewAtMicros = this.clock.nowMicros();
    }
    if (this.peers.length > 0) {
      const peer = this.peers[this.random.int(this.peers.length)]!;
      this.transport.send(peer, this.encode());
      this.messagesSent++;
    }
    this.schedule(this.roundMicros);
  }

  private receive(_from: NodeId, message: Uint8Array): void {
    let decoded: Map<NodeId, number>;
    try {
      decoded = decodeTable(message);
    } catch {
      this.malformedMessages++;
      return;
    }
    this.messagesReceived++;
    const now = this.clock.nowMicros();
    for (const [member, heartbeat] of decoded) {
      const entry = this.table.get(member);
      if (entry === undefined) continue; // membership is static here; unknown ids are ignored
      if (heartbeat > entry.heartbeat) {
        entry.heartbeat = heartbeat;
        entry.lastGrewAtMicros = now;
        entry.phi.heartbeat(now);
      }
    }
  }

  private encode(): Uint8Array {
    const encoder = new TextEncoder();
    const ids = [...this.table.keys()].map((id) => encoder.encode(id));
    let length = 3;
    for (const id of ids) length += 1 + id.length + 4;
    const bytes = new Uint8Array(length);
    const view = new DataView(bytes.buffer);
    bytes[0] = MESSAGE_TAG;
    view.setUint16(1, ids.length, true);
    let offset = 3;
    let index = 0;
    for (const entry of this.table.values()) {
      const id = ids[index++]!;
      bytes[offset++] = id.length;
      bytes.set(id, offset);
      offset += id.length;
      view.setUint32(offset, entry.heartbeat, true);
      offset += 4;
    }
    return bytes;
  }
}

function decodeTable(bytes: Uint8Array): Map<NodeId, number> {
  if (bytes.length < 3 || bytes[0] !== MESSAGE_TAG) throw new Error('not a heartbeat gossip message');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint16(1, true);
  const decoder = new TextDecoder();
  const table = new Map<NodeId, number>();
  let offset = 3;
  for (let i = 0; i < count; i++) {
    const idLength = bytes[offset];
    if (idLength === undefined || offset + 1 + idLength + 4 > bytes.length) throw new Error('truncated gossip message');
    const id = decoder.decode(bytes.subarray(offset + 1, offset + 1 + idLength));
    offset += 1 + idLength;
    table.set(id, view.getUint32(offset, true));
    offset += 4;
  }
  return table;
}
