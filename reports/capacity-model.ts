/**
 * The back-of-envelope capacity model of a Dynamo-class store, as a pure function from inputs to figures.
 *
 * It reproduces the arithmetic the seed documents do on a whiteboard (storage, per-node load, LSM write
 * capacity, bloom filter memory, compaction and replication bandwidth) and nothing cleverer, so a reader can
 * check every line by hand. Each output figure carries its formula twice: symbolically ("keys × value size")
 * and with the numbers substituted, so the report can show the arithmetic next to the result.
 *
 * Where the seeds' own figures hide an assumption the model makes it visible rather than silently matching
 * them. Two examples: the seeds' 10 K writes/s per node is 5 M client writes/s ÷ 500 nodes, which ignores that
 * every write lands on N replicas; and their 250 MB of bloom filters is keys ÷ nodes × 10 bits, i.e. per node
 * for its primary keys only. Both figures appear, and beside them the replica-inclusive ones.
 */
import { MAX_VALUE_BYTES } from '../core/replication/limits';
import { probesFor } from '../core/storage/bloom';
import { formatValue, grouped, sig, type Unit } from './units';

export interface CapacityInputs {
  /** Distinct keys stored. 100 billion — seed 000 ("100B keys") and seed 002 ("100 billion keys"). */
  keys: number;
  /** Bytes per record (value, with the key folded in as the seeds do). ~1 KB — seed 000 ("~1 KB values"). */
  valueBytes: number;
  /** Physical nodes M. 500 — seeds 000 and 002. */
  nodes: number;
  /** Replication factor N. 3 — seeds 000 and 002; seed 004 also uses 3×. */
  replicas: number;
  /** Read quorum R. 2 — seed 001's "quorum" row (W=2, R=2, "good default"). */
  readQuorum: number;
  /** Write quorum W. 2 — seed 001, as R. */
  writeQuorum: number;
  /** Virtual nodes per physical node. 256 — seeds 000 and 002 ("256 vnodes smooth variance under 10%"). */
  vnodes: number;
  /** Peak client reads per second. 20 M — seed 000 ("20M reads/sec … peak"). */
  peakReadsPerSec: number;
  /** Peak client writes per second. 5 M — seed 000 ("5M writes/sec peak"). */
  peakWritesPerSec: number;
  /** Peak ÷ average traffic. 10 — seed 001 ("assume 10x average"). */
  peakFactor: number;
  /** Sustained writes per second one LSM node absorbs. 10 K — seeds 000 and 002. */
  nodeWritesPerSec: number;
  /** Bloom filter bits per key. 10 — seed 002 ("10 bits/key, ~1% false positives"). */
  bloomBitsPerKey: number;
  /** Size-tiered compaction write amplification. ~5× — seed 002. */
  writeAmpSizeTiered: number;
  /** Leveled compaction write amplification. ~10× — seeds 000 ("10x compaction amplification") and 002. */
  writeAmpLeveled: number;
}

export const SEED_INPUTS: Readonly<CapacityInputs> = Object.freeze({
  keys: 100e9,
  valueBytes: 1000,
  nodes: 500,
  replicas: 3,
  readQuorum: 2,
  writeQuorum: 2,
  vnodes: 256,
  peakReadsPerSec: 20e6,
  peakWritesPerSec: 5e6,
  peakFactor: 10,
  nodeWritesPerSec: 10_000,
  bloomBitsPerKey: 10,
  writeAmpSizeTiered: 5,
  writeAmpLeveled: 10,
});

/** What each input means, for the report's input table and for error messages. */
export const INPUT_LABELS: Readonly<Record<keyof CapacityInputs, { label: string; unit: Unit; source: string }>> = {
  keys: { label: 'keys', unit: 'count', source: 'seeds 000, 002' },
  valueBytes: { label: 'record size (key + value)', unit: 'bytes', source: 'seed 000' },
  nodes: { label: 'nodes M', unit: 'nodes', source: 'seeds 000, 002' },
  replicas: { label: 'replicas N', unit: 'count', source: 'seeds 000, 002' },
  readQuorum: { label: 'read quorum R', unit: 'count', source: 'seed 001' },
  writeQuorum: { label: 'write quorum W', unit: 'count', source: 'seed 001' },
  vnodes: { label: 'vnodes per node', unit: 'count', source: 'seeds 000, 002' },
  peakReadsPerSec: { label: 'peak reads', unit: 'ops/s', source: 'seed 000' },
  peakWritesPerSec: { label: 'peak writes', unit: 'ops/s', source: 'seed 000' },
  peakFactor: { label: 'peak ÷ average', unit: 'ratio', source: 'seed 001' },
  nodeWritesPerSec: { label: 'LSM writes per node', unit: 'ops/s', source: 'seeds 000, 002' },
  bloomBitsPerKey: { label: 'bloom bits per key', unit: 'count', source: 'seed 002' },
  writeAmpSizeTiered: { label: 'write amplification, size-tiered', unit: 'ratio', source: 'seed 002' },
  writeAmpLeveled: { label: 'write amplification, leveled', unit: 'ratio', source: 'seeds 000, 002' },
};

/** A bad input, naming the field so the CLI can name its flag. */
/** Nodes the replica write stream needs at the per-node figure, before the minimum of N: ⌈writes × N ÷ per node⌉. */
export function nodesForLoad(inputs: Pick<CapacityInputs, 'peakWritesPerSec' | 'replicas' | 'nodeWritesPerSec'>): number {
  return Math.ceil((inputs.peakWritesPerSec * inputs.replicas) / inputs.nodeWritesPerSec);
}

export class CapacityInputError extends Error {
  constructor(readonly field: keyof CapacityInputs, message: string) {
    super(message);
    this.name = 'CapacityInputError';
  }
}

/** One output of the model: its value, its unit and the arithmetic that produced it. */
export interface Figure {
  readonly label: string;
  readonly value: number;
  readonly unit: Unit;
  /** Symbolic: "logical data × N". */
  readonly formula: string;
  /** With the numbers in: "100 TB × 3 = 300 TB". */
  readonly arithmetic: string;
}

export interface CapacityModel {
  readonly inputs: Readonly<CapacityInputs>;
  readonly storage: {
    logical: Figure; raw: Figure; perNode: Figure; totalTokens: Figure; perVnode: Figure;
    keysPerNode: Figure; primaryKeysPerNode: Figure;
  };
  readonly traffic: {
    averageReads: Figure; averageWrites: Figure;
    readsPerNode: Figure; replicaReadsPerNode: Figure;
    writesPerNode: Figure; replicaWritesPerNode: Figure;
    dailyWriteBytes: Figure; daysToRewriteData: Figure;
  };
  readonly lsm: { nodeCapacity: Figure; nodesForWrites: Figure; utilisation: Figure };
  readonly bloom: {
    probes: Figure; falsePositive: Figure; falsePositiveUnblocked: Figure; bytesPerMillionKeys: Figure;
    perNodePrimary: Figure; perNode: Figure; cluster: Figure;
  };
  readonly compaction: {
    sizeTieredDiskWritesPerNode: Figure; leveledDiskWritesPerNode: Figure;
    sizeTieredDiskWritesCluster: Figure; leveledDiskWritesCluster: Figure;
  };
  readonly network: {
    clientIngress: Figure; replicationCluster: Figure; replicationPerNode: Figure;
    readFanInCluster: Figure; readFanInPerNode: Figure;
  };
  readonly ring: { expectedStddevPercent: Figure };
}

/** The sections in report order, each a titled list of figures. */
export function modelSections(model: CapacityModel): { id: keyof Omit<CapacityModel, 'inputs'>; title: string; figures: Figure[] }[] {
  return [
    { id: 'storage', title: 'Storage', figures: Object.values(model.storage) },
    { id: 'traffic', title: 'Traffic', figures: Object.values(model.traffic) },
    { id: 'lsm', title: 'LSM write capacity', figures: Object.values(model.lsm) },
    { id: 'bloom', title: 'Bloom filters', figures: Object.values(model.bloom) },
    { id: 'compaction', title: 'Compaction write bandwidth', figures: Object.values(model.compaction) },
    { id: 'network', title: 'Network', figures: Object.values(model.network) },
    { id: 'ring', title: 'Ring balance', figures: Object.values(model.ring) },
  ];
}

/** Checks every input, throwing CapacityInputError for the first bad one. */
export function validateInputs(inputs: CapacityInputs): void {
  const need = (field: keyof CapacityInputs, ok: boolean, what: string): void => {
    const value = inputs[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || !ok) {
      throw new CapacityInputError(field, `${INPUT_LABELS[field].label} must be ${what}, got ${String(value)}`);
    }
  };
  const integer = (field: keyof CapacityInputs, min: number): void =>
    need(field, Number.isInteger(inputs[field]) && inputs[field] >= min, `an integer ≥ ${min}`);
  const positive = (field: keyof CapacityInputs): void => need(field, inputs[field] > 0, 'a number > 0');
  integer('keys', 1);
  need('valueBytes', inputs.valueBytes >= 1, 'at least 1 byte');
  need('valueBytes', inputs.valueBytes <= MAX_VALUE_BYTES, `at most ${MAX_VALUE_BYTES.toLocaleString('en-US')} bytes (1 MiB, the store's value limit MAX_VALUE_BYTES in core/replication/limits.ts)`);
  integer('nodes', 1);
  integer('replicas', 1);
  integer('readQuorum', 1);
  integer('writeQuorum', 1);
  integer('vnodes', 1);
  // Zero writes makes the write headroom (capacity ÷ load) infinite: refuse it rather than print 1e12×. Reads may
  // be 0 (a write-only workload): nothing divides by them.
  need('peakReadsPerSec', inputs.peakReadsPerSec >= 0, 'a number ≥ 0');
  positive('peakWritesPerSec');
  need('peakFactor', inputs.peakFactor >= 1, 'a number ≥ 1 (peak is at least the average)');
  positive('nodeWritesPerSec');
  need('bloomBitsPerKey', inputs.bloomBitsPerKey >= 1 && inputs.bloomBitsPerKey <= 64, 'within 1…64 (what the engine accepts)');
  need('writeAmpSizeTiered', inputs.writeAmpSizeTiered >= 1, 'a number ≥ 1');
  need('writeAmpLeveled', inputs.writeAmpLeveled >= 1, 'a number ≥ 1');
  if (inputs.replicas > inputs.nodes) {
    throw new CapacityInputError('replicas', `replicas N=${inputs.replicas} cannot exceed the ${inputs.nodes} nodes (replicas sit on distinct nodes)`);
  }
  if (inputs.readQuorum > inputs.replicas) {
    throw new CapacityInputError('readQuorum', `read quorum R=${inputs.readQuorum} cannot exceed N=${inputs.replicas}`);
  }
  if (inputs.writeQuorum > inputs.replicas) {
    throw new CapacityInputError('writeQuorum', `write quorum W=${inputs.writeQuorum} cannot exceed N=${inputs.replicas}`);
  }
}

/**
 * Theoretical false-positive rate of a Bloom filter with b bits per key and k probes: (1 − e^(−k/b))^k. With
 * the engine's k = round(b·ln 2) this is non-increasing in b (checked by a property test), so more memory never
 * buys a worse filter.
 */
export function bloomFalsePositive(bitsPerKey: number, probes = probesFor(bitsPerKey)): number {
  return Math.pow(1 - Math.exp(-probes / bitsPerKey), probes);
}

/**
 * False-positive rate of the engine's *blocked* Bloom filter (core/storage/bloom.ts): each key's k probes fall
 * in one 512-bit block chosen by its hash, so a block holds a Poisson(512/b) number of keys j and answers
 * falsely with probability (1 − (1 − 1/512)^(k·j))^k (Putze, Sanders & Singler 2007). Slightly above the
 * unblocked formula (0.96 % against 0.82 % at 10 bits/key) because blocks fill unevenly.
 */
export function blockedBloomFalsePositive(bitsPerKey: number, probes = probesFor(bitsPerKey), blockBits = 512): number {
  const mean = blockBits / bitsPerKey;
  let total = 0;
  let poisson = Math.exp(-mean); // P(j = 0)
  const last = Math.ceil(mean + 12 * Math.sqrt(mean) + 20);
  for (let j = 0; j <= last; j++) {
    if (j > 0) poisson *= mean / j;
    total += poisson * Math.pow(1 - Math.pow(1 - 1 / blockBits, probes * j), probes);
  }
  return total;
}

/** Expected ownership spread with v random tokens per node: a node's share is a sum of v arcs, so CV ≈ 1/√v. */
export function expectedOwnershipStddevPercent(vnodes: number): number {
  return 100 / Math.sqrt(vnodes);
}

const SECONDS_PER_DAY = 86_400;

export function capacityModel(given: Partial<CapacityInputs> = {}): CapacityModel {
  const inputs: CapacityInputs = { ...SEED_INPUTS, ...given };
  validateInputs(inputs);
  const { keys, valueBytes, nodes: m, replicas: n, vnodes: v } = inputs;
  const f = (value: number, unit: Unit): string => formatValue(value, unit);
  const fig = (label: string, unit: Unit, value: number, formula: string, arithmetic: string): Figure => ({
    label, unit, value, formula, arithmetic: `${arithmetic} = ${f(value, unit)}`,
  });

  // Storage: logical × N spread over M nodes; the vnode is the unit a join or leave moves.
  const logical = keys * valueBytes;
  const raw = logical * n;
  const perNode = raw / m;
  const tokens = m * v;
  const storage = {
    logical: fig('logical data', 'bytes', logical, 'keys × record size', `${f(keys, 'count')} × ${f(valueBytes, 'bytes')}`),
    raw: fig('raw storage (all replicas)', 'bytes', raw, 'logical × N', `${f(logical, 'bytes')} × ${n}`),
    perNode: fig('storage per node', 'bytes', perNode, 'raw ÷ M', `${f(raw, 'bytes')} ÷ ${grouped(m)}`),
    totalTokens: fig('vnodes on the ring', 'count', tokens, 'M × vnodes', `${grouped(m)} × ${v}`),
    perVnode: fig('data per vnode (unit of transfer)', 'bytes', raw / tokens, 'raw ÷ (M × vnodes)', `${f(raw, 'bytes')} ÷ ${f(tokens, 'count')}`),
    keysPerNode: fig('keys per node (replicas included)', 'count', (keys * n) / m, 'keys × N ÷ M', `${f(keys, 'count')} × ${n} ÷ ${grouped(m)}`),
    primaryKeysPerNode: fig('primary keys per node', 'count', keys / m, 'keys ÷ M', `${f(keys, 'count')} ÷ ${grouped(m)}`),
  };

  // Traffic. Every write lands on all N replicas (W only says how many are waited for), and every read is sent
  // to all N too: the coordinator (core/node.ts coordinateRead) asks every target of the preference list and
  // answers the client after R replies, so R sets the wait, N the load and the bytes.
  const reads = inputs.peakReadsPerSec;
  const writes = inputs.peakWritesPerSec;
  const averageWrites = writes / inputs.peakFactor;
  const replicaWritesPerNode = (writes * n) / m;
  const dailyWriteBytes = averageWrites * valueBytes * SECONDS_PER_DAY;
  const traffic = {
    averageReads: fig('average reads', 'ops/s', reads / inputs.peakFactor, 'peak reads ÷ peak factor', `${f(reads, 'ops/s')} ÷ ${sig(inputs.peakFactor)}`),
    averageWrites: fig('average writes', 'ops/s', averageWrites, 'peak writes ÷ peak factor', `${f(writes, 'ops/s')} ÷ ${sig(inputs.peakFactor)}`),
    readsPerNode: fig('client reads per node (peak, as coordinator)', 'ops/s', reads / m, 'peak reads ÷ M', `${f(reads, 'ops/s')} ÷ ${grouped(m)}`),
    replicaReadsPerNode: fig('replica reads per node (peak; every read asks all N)', 'ops/s', (reads * n) / m, 'peak reads × N ÷ M', `${f(reads, 'ops/s')} × ${n} ÷ ${grouped(m)}`),
    writesPerNode: fig('client writes per node (peak, as coordinator)', 'ops/s', writes / m, 'peak writes ÷ M', `${f(writes, 'ops/s')} ÷ ${grouped(m)}`),
    replicaWritesPerNode: fig('replica writes per node (peak)', 'ops/s', replicaWritesPerNode, 'peak writes × N ÷ M', `${f(writes, 'ops/s')} × ${n} ÷ ${grouped(m)}`),
    dailyWriteBytes: fig('bytes written per day (average rate)', 'bytes', dailyWriteBytes, 'average writes × record size × 86 400 s', `${f(averageWrites, 'ops/s')} × ${f(valueBytes, 'bytes')} × 86 400 s`),
    daysToRewriteData: fig('days for the write stream to equal the data set', 'days', dailyWriteBytes > 0 ? logical / dailyWriteBytes : Infinity, 'logical ÷ bytes written per day', `${f(logical, 'bytes')} ÷ ${f(dailyWriteBytes, 'bytes')}`),
  };

  // LSM capacity: how many nodes the replica write stream needs at the per-node figure.
  const forLoad = nodesForLoad(inputs);
  const nodesForWrites = Math.max(n, forLoad);
  const nodesArithmetic = `⌈${f(writes, 'ops/s')} × ${n} ÷ ${f(inputs.nodeWritesPerSec, 'ops/s')}⌉`;
  // Never fewer nodes than replicas: when the load alone needs fewer, the arithmetic shows the max() it took.
  const raisedToN = forLoad < n;
  const lsm = {
    nodeCapacity: fig('writes one LSM node absorbs', 'ops/s', inputs.nodeWritesPerSec, 'input (seeds: 10 K/s)', 'given'),
    nodesForWrites: fig(
      'nodes the write load needs', 'nodes', nodesForWrites,
      raisedToN ? 'max(⌈peak writes × N ÷ per-node capacity⌉, N)' : '⌈peak writes × N ÷ per-node capacity⌉',
      raisedToN ? `max(${nodesArithmetic}, N=${n}) = max(${grouped(forLoad)}, ${n})` : nodesArithmetic,
    ),
    utilisation: fig('write utilisation per node at peak', 'fraction', replicaWritesPerNode / inputs.nodeWritesPerSec, 'replica writes per node ÷ per-node capacity', `${f(replicaWritesPerNode, 'ops/s')} ÷ ${f(inputs.nodeWritesPerSec, 'ops/s')}`),
  };

  // Bloom filters: b bits per key in every table; memory follows the keys a node holds.
  const b = inputs.bloomBitsPerKey;
  const k = probesFor(b);
  const bloomBytesPerKey = b / 8;
  const bloom = {
    probes: fig('hash probes k', 'count', k, 'round(b × ln 2)', `round(${sig(b)} × 0.693)`),
    falsePositive: fig('false-positive rate (blocked filter, 512-bit blocks)', 'fraction', blockedBloomFalsePositive(b, k), 'Σ_j Poisson(j; 512/b) × (1 − (1 − 1/512)^(k·j))^k', `Poisson mean 512 ÷ ${sig(b)}, k = ${k}`),
    falsePositiveUnblocked: fig('false-positive rate of an unblocked filter (the seeds\' formula)', 'fraction', bloomFalsePositive(b, k), '(1 − e^(−k/b))^k', `(1 − e^(−${k}/${sig(b)}))^${k}`),
    bytesPerMillionKeys: fig('filter memory per 1 M keys', 'bytes', 1e6 * bloomBytesPerKey, '1 M × b ÷ 8', `1 M × ${sig(b)} ÷ 8`),
    perNodePrimary: fig('filter memory per node, primary keys only', 'bytes', (keys / m) * bloomBytesPerKey, 'keys ÷ M × b ÷ 8', `${f(keys / m, 'count')} × ${sig(b)} ÷ 8`),
    perNode: fig('filter memory per node, replicas included', 'bytes', ((keys * n) / m) * bloomBytesPerKey, 'keys × N ÷ M × b ÷ 8', `${f((keys * n) / m, 'count')} × ${sig(b)} ÷ 8`),
    cluster: fig('filter memory, whole cluster', 'bytes', keys * n * bloomBytesPerKey, 'keys × N × b ÷ 8', `${f(keys, 'count')} × ${n} × ${sig(b)} ÷ 8`),
  };

  // Compaction: each ingested byte is written once to the WAL and WA times more by flushes and compactions.
  const ingestPerNode = replicaWritesPerNode * valueBytes;
  const diskWrites = (wa: number): number => ingestPerNode * (1 + wa);
  const compaction = {
    sizeTieredDiskWritesPerNode: fig('disk writes per node, size-tiered', 'bytes/s', diskWrites(inputs.writeAmpSizeTiered), 'replica writes per node × record × (1 WAL + WA)', `${f(replicaWritesPerNode, 'ops/s')} × ${f(valueBytes, 'bytes')} × (1 + ${sig(inputs.writeAmpSizeTiered)})`),
    leveledDiskWritesPerNode: fig('disk writes per node, leveled', 'bytes/s', diskWrites(inputs.writeAmpLeveled), 'replica writes per node × record × (1 WAL + WA)', `${f(replicaWritesPerNode, 'ops/s')} × ${f(valueBytes, 'bytes')} × (1 + ${sig(inputs.writeAmpLeveled)})`),
    sizeTieredDiskWritesCluster: fig('disk writes, cluster, size-tiered', 'bytes/s', diskWrites(inputs.writeAmpSizeTiered) * m, 'per node × M', `${f(diskWrites(inputs.writeAmpSizeTiered), 'bytes/s')} × ${grouped(m)}`),
    leveledDiskWritesCluster: fig('disk writes, cluster, leveled', 'bytes/s', diskWrites(inputs.writeAmpLeveled) * m, 'per node × M', `${f(diskWrites(inputs.writeAmpLeveled), 'bytes/s')} × ${grouped(m)}`),
  };

  // Network: the coordinator keeps one copy when it is a replica, so N − 1 copies cross the network per write;
  // a read is sent to all N replicas and each of them answers with the value, R of them in time for the client
  // and the rest afterwards (they still cross the network, and feed read repair).
  const clientIngress = writes * valueBytes;
  const replication = clientIngress * (n - 1);
  const readFanIn = reads * valueBytes * n;
  const network = {
    clientIngress: fig('client write ingress', 'bytes/s', clientIngress, 'peak writes × record', `${f(writes, 'ops/s')} × ${f(valueBytes, 'bytes')}`),
    replicationCluster: fig('replication traffic, cluster', 'bytes/s', replication, 'ingress × (N − 1)', `${f(clientIngress, 'bytes/s')} × ${n - 1}`),
    replicationPerNode: fig('replication traffic per node', 'bytes/s', replication / m, 'replication ÷ M', `${f(replication, 'bytes/s')} ÷ ${grouped(m)}`),
    readFanInCluster: fig('read replies, cluster (all N replicas answer)', 'bytes/s', readFanIn, 'peak reads × record × N', `${f(reads, 'ops/s')} × ${f(valueBytes, 'bytes')} × ${n}`),
    readFanInPerNode: fig('read replies per node', 'bytes/s', readFanIn / m, 'read replies ÷ M', `${f(readFanIn, 'bytes/s')} ÷ ${grouped(m)}`),
  };

  const ring = {
    expectedStddevPercent: fig('expected ownership stddev (% of mean)', 'percent', expectedOwnershipStddevPercent(v), '100 ÷ √vnodes', `100 ÷ √${v}`),
  };

  return { inputs, storage, traffic, lsm, bloom, compaction, network, ring };
}
