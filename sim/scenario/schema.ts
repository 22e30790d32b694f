import { z } from 'zod';
import { duration, size } from './units';

/**
 * The largest clock skew, offset or jump a scenario may ask for: 10^12 ms (~31.7 years). A node's clock reading
 * is stored as µs in version timestamps and expiries, which must stay below 2^52 µs (~142 years from 1970).
 */
const MAX_CLOCK_SHIFT_MS = 1e12;
const CLOCK_SHIFT_RANGE = { message: 'must be within ±1e12 ms (~31.7 years): clock readings are stored as µs below 2^52' };

/**
 * The scenario file schema: one schema for every file in scenarios/. Unknown keys are errors (a typo must
 * not silently fall back to a default), and every error names the field; the loader adds the line.
 *
 * Durations accept "250ms" / "30s" / "2m" / "3h" and come out in microseconds; sizes accept "4KiB" /
 * "64MiB" and come out in bytes; probabilities are plain numbers in [0, 1].
 */
const probability = z.number().min(0).max(1);

/** The storage engine's tombstone grace unless a scenario says otherwise: 10 days, Cassandra's gc_grace. */
const DEFAULT_TOMBSTONE_GRACE_MICROS = 10 * 24 * 3_600_000_000;

const latency = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('fixed'), ms: z.number().nonnegative() }),
    z.strictObject({ kind: z.literal('uniform'), minMs: z.number().nonnegative(), maxMs: z.number().nonnegative() }),
    z.strictObject({ kind: z.literal('lognormal'), medianMs: z.number().positive(), sigma: z.number().nonnegative() }),
    z.strictObject({ kind: z.literal('pareto'), scaleMs: z.number().positive(), shape: z.number().gt(1), capMs: z.number().positive().optional() }),
  ])
  .superRefine((value, context) => {
    if (value.kind === 'uniform' && value.minMs > value.maxMs) {
      context.addIssue({ code: 'custom', path: ['maxMs'], message: `uniform latency needs minMs ≤ maxMs, got minMs ${value.minMs} and maxMs ${value.maxMs}` });
    }
  });

const storage = z.strictObject({
  memtableBytes: size.refine((bytes) => bytes > 0, 'memtableBytes must be more than 0 bytes').default(4 * 1024 * 1024),
  compaction: z.enum(['leveled', 'size-tiered']).default('leveled'),
  syncLatency: latency.default({ kind: 'fixed', ms: 0.2 }),
  /**
   * Each node's disk write bandwidth, MB/s (10^6 bytes); 0 = unlimited. A sync waits for every byte written
   * before it — WAL records, flushed tables, compaction output — to drain at this rate, so flushes and
   * compactions delay the WAL fsyncs behind them. Default 400, a SATA SSD's sustained write rate.
   */
  writeMegabytesPerSecond: z.number().nonnegative().max(1e6).default(400),
  /**
   * true (default): a replica acknowledges a write only after the WAL fsync that covers it. false: after the
   * append — faster, and a crash then loses acknowledged writes (try it with a crash fault and lost-writes).
   */
  syncWrites: z.boolean().default(true),
  /**
   * How long a record whose every version is dead (deleted or expired) is kept after the last death before the
   * engine drops it — Cassandra's gc_grace. Default 10 days. A replica cut off for longer than this can bring a
   * deleted value back (scenarios/tombstone-grace.yaml); shorter saves disk.
   */
  tombstoneGrace: duration.default(DEFAULT_TOMBSTONE_GRACE_MICROS),
});

const cluster = z
  .strictObject({
    nodes: z.number().int().min(1).max(5000),
    vnodes: z.number().int().min(1).max(4096).default(256),
    n: z.number().int().min(1).max(255, 'n is at most 255 (the protocol limit)').default(3),
    r: z.number().int().min(1).default(2),
    w: z.number().int().min(1).default(2),
    conflict: z.enum(['vclock', 'lww']).default('vclock'),
    sloppyQuorum: z.boolean().default(true),
    hintedHandoff: z.boolean().default(true),
    readRepair: z.boolean().default(true),
    /** How long a coordinator waits for replicas before it answers; more than 0. */
    requestTimeout: duration.refine((micros) => micros > 0, 'requestTimeout must be more than 0 (how long a coordinator waits for replicas, e.g. 500ms)').default(500_000),
    hintWindow: duration.default(3 * 3_600_000_000),
    /** Each node starts a Merkle anti-entropy exchange with the next peer replica (a shuffled round) this often; 0 = off (default). */
    antiEntropyInterval: duration.default(0),
    /** Machines n<nodes>… that start outside the ring and can `join` (a fault); 0 by default. */
    spareNodes: z.number().int().min(0).max(1000).default(0),
    /** Ring-state gossip round; default 1 s when there are spare nodes or join/leave faults, else off. */
    ringGossipInterval: duration.optional(),
    storage: storage.default({ memtableBytes: 4 * 1024 * 1024, compaction: 'leveled', syncLatency: { kind: 'fixed', ms: 0.2 }, writeMegabytesPerSecond: 400, syncWrites: true, tombstoneGrace: DEFAULT_TOMBSTONE_GRACE_MICROS }),
  })
  .superRefine((value, context) => {
    for (const knob of ['r', 'w'] as const) {
      if (value[knob] > value.n) context.addIssue({ code: 'custom', path: [knob], message: `${knob}=${value[knob]} cannot exceed n=${value.n}` });
    }
    if (value.n > value.nodes) context.addIssue({ code: 'custom', path: ['n'], message: `n=${value.n} replicas need at least ${value.n} nodes, cluster has ${value.nodes}` });
    if (value.spareNodes > 0 && value.ringGossipInterval === 0) {
      context.addIssue({ code: 'custom', path: ['ringGossipInterval'], message: 'spare nodes need ring gossip: set ringGossipInterval above 0, or leave it out (1s)' });
    }
  });

const network = z.strictObject({
  latency: latency.default({ kind: 'lognormal', medianMs: 0.5, sigma: 0.4 }),
  loss: probability.default(0),
  duplicate: probability.default(0),
  reorder: z.boolean().default(false),
});

const clocks = z.strictObject({
  /** Each node's offset is drawn uniformly within ±skewMs. */
  skewMs: z.number().nonnegative().max(MAX_CLOCK_SHIFT_MS, CLOCK_SHIFT_RANGE).default(0),
  /** Each node's drift is drawn uniformly within ±driftPpm. */
  driftPpm: z.number().nonnegative().max(100_000).default(0),
  /** Fixed per-node settings, overriding the draws. */
  nodes: z.record(z.string(), z.strictObject({
    offsetMs: z.number().min(-MAX_CLOCK_SHIFT_MS, CLOCK_SHIFT_RANGE).max(MAX_CLOCK_SHIFT_MS, CLOCK_SHIFT_RANGE).optional(),
    driftPpm: z.number().gt(-500_000).lt(1_000_000).optional(),
  })).default({}),
});

const mix = z
  .strictObject({ get: probability.default(0), put: probability.default(0), delete: probability.default(0), cas: probability.default(0) })
  .refine((m) => Math.abs(m.get + m.put + m.delete + m.cas - 1) < 1e-9, { message: 'operation mix must add up to 1 (get + put + delete + cas)' });

const workload = z.strictObject({
  /** Open-loop arrival rate, operations per simulated second across all clients. */
  rate: z.number().positive(),
  clients: z.number().int().min(1).default(10),
  keys: z.number().int().min(1).default(1000),
  distribution: z.enum(['uniform', 'zipf', 'hot']).default('uniform'),
  zipfExponent: z.number().positive().default(0.99),
  /**
   * For 'hot': the fraction of operations sent to key 0 on purpose; the rest pick a key uniformly, key 0
   * included, so key 0's whole share is hotFraction + (1 − hotFraction) / keys (0.75 for 0.5 over 2 keys).
   */
  hotFraction: probability.default(0.5),
  mix: mix.default({ get: 0.5, put: 0.5, delete: 0, cas: 0 }),
  valueBytes: z
    .strictObject({ min: z.number().int().min(1), max: z.number().int().max(1024 * 1024) })
    .superRefine((v, context) => {
      if (v.min > v.max) context.addIssue({ code: 'custom', path: ['max'], message: `max (${v.max}) must be at least min (${v.min})` });
    })
    .default({ min: 16, max: 256 }),
  /** Fraction of puts/deletes that first read the key and pass its causal context back (read-modify-write). */
  readModifyWrite: probability.default(0.5),
  /** When the workload stops (default: at the end of `duration` minus `quiescence`). */
  stopAt: duration.optional(),
});

/** A union whose "Invalid input" lists the forms it accepts (a member that matched but failed keeps its own message). */
const forms = (what: string, list: string) => ({
  error: (issue: { code?: string }) => (issue.code === 'invalid_union' ? `${what} is one of: ${list}` : undefined),
});

const nodeSelector = z.union(
  [
    z.strictObject({ nodes: z.array(z.string()).min(1) }),
    z.strictObject({ count: z.number().int().min(1) }),
    z.strictObject({ fraction: z.number().gt(0).lt(1) }),
  ],
  forms('crash', '{ nodes: [n1, n2] }, { count: 2 }, { fraction: 0.3 } (0 < fraction < 1)'),
);

const partition = z.union(
  [
    z.strictObject({ fraction: z.number().gt(0).lt(1) }),
    z.strictObject({ halves: z.literal(true) }),
    z.strictObject({ isolate: z.string() }),
    z
      .strictObject({ groups: z.array(z.array(z.string()).min(1)).min(1) })
      .superRefine((value, context) => {
        const seen = new Set<string>();
        value.groups.forEach((group, g) => group.forEach((id, k) => {
          if (seen.has(id)) context.addIssue({ code: 'custom', path: ['groups', g, k], message: `node '${id}' is in more than one group` });
          seen.add(id);
        }));
      }),
    z.strictObject({ oneWay: z.strictObject({ from: z.array(z.string()).min(1), to: z.array(z.string()).min(1) }) }),
  ],
  forms(
    'partition',
    '{ fraction: 0.3 } (a random 30 % cut off), { halves: true }, { isolate: n1 }, { groups: [[n0, n1], [n2]] }, { oneWay: { from: [n0], to: [n1] } }',
  ),
);

const fault = z
  .strictObject({
    at: duration,
    partition: partition.optional(),
    heal: z.literal(true).optional(),
    crash: nodeSelector.optional(),
    /** What a crash does to unsynced bytes. */
    mode: z.enum(['drop-unsynced', 'tear-unsynced']).optional(),
    restart: z.union([z.strictObject({ nodes: z.array(z.string()).min(1) }), z.literal('all')], forms('restart', '{ nodes: [n1, n2] } or all (every crashed node)')).optional(),
    /** A clock jump and/or a new drift rate (a clock must keep running forward: -500000 < driftPpm < 1000000). */
    clock: z
      .strictObject({
        nodes: z.array(z.string()).min(1),
        jumpMs: z.number().min(-MAX_CLOCK_SHIFT_MS, CLOCK_SHIFT_RANGE).max(MAX_CLOCK_SHIFT_MS, CLOCK_SHIFT_RANGE).optional(),
        driftPpm: z.number().gt(-500_000).lt(1_000_000).optional(),
      })
      .optional(),
    disk: z
      .strictObject({
        nodes: z.array(z.string()).min(1),
        readFaultProbability: probability.default(0),
        writeFaultProbability: probability.default(0),
        syncFaultProbability: probability.default(0),
        bitFlipProbability: probability.default(0),
      })
      .optional(),
    loss: z.strictObject({ probability, for: duration }).optional(),
    /** A spare (or earlier departed-free) node joins the ring; the keys of the ranges it takes are copied to it first. */
    join: z.strictObject({ node: z.string() }).optional(),
    /** A member hands its ranges to their new owners and leaves the ring. */
    leave: z.strictObject({ node: z.string() }).optional(),
  })
  .superRefine((value, context) => {
    const actions = ['partition', 'heal', 'crash', 'restart', 'clock', 'disk', 'loss', 'join', 'leave'].filter((k) => (value as Record<string, unknown>)[k] !== undefined);
    if (actions.length !== 1) {
      context.addIssue({ code: 'custom', message: `a fault needs exactly one action (partition, heal, crash, restart, clock, disk, loss, join, leave); found ${actions.length === 0 ? 'none' : actions.join(', ')}` });
    }
  });

export const checkName = z.enum(['lost-writes', 'stale-reads', 'linearizability', 'session', 'convergence', 'siblings', 'lww-lost-overwrites', 'cas-winners', 'membership']);
export type CheckName = z.output<typeof checkName>;
const CHECK_NAMES = checkName.options;
type CheckSetting = number | string | boolean;

/**
 * What each check can be told in a scenario file (`- stale-reads: { maxStaleRate: 0.01 }`); anything else is an
 * error, so a typo never silently falls back to a default. What the runner supplies itself (the conflict mode,
 * convergence's replica-state samples and heal time) is not a setting.
 */
const count = z.number().int().nonnegative();
const maxCounterexamples = count.optional();
const CHECK_SETTINGS = {
  'lost-writes': z.strictObject({ maxCounterexamples }),
  /** maxStaleRate: highest stale / completed reads still ok (default 0). */
  'stale-reads': z.strictObject({
    maxStaleRate: z.number().min(0, 'maxStaleRate is a share of reads, from 0 to 1').max(1, 'maxStaleRate is a share of reads, from 0 to 1').optional(),
    maxCounterexamples,
  }),
  /** Search budgets, in steps: per key (default 1 000 000) and in all (default 20 000 000). */
  linearizability: z.strictObject({ maxStepsPerKey: count.optional(), maxSteps: count.optional(), maxCounterexamples }),
  session: z.strictObject({ maxCounterexamples }),
  /**
   * threshold: longest acceptable time from the last heal until replicas agree, as a duration ("40s"; default:
   * the quiescence). thresholdMicros: the same in microseconds (the older spelling, still read). One or the other.
   */
  convergence: z.strictObject({ threshold: duration.optional(), thresholdMicros: z.number().nonnegative().optional() }),
  /** maxSiblings: most siblings one read may return (default: no limit, measure only). */
  siblings: z.strictObject({ maxSiblings: count.optional(), maxCounterexamples }),
  /** maxLost: lost overwrites still ok (default 0). */
  'lww-lost-overwrites': z.strictObject({ maxLost: count.optional(), maxCounterexamples }),
  'cas-winners': z.strictObject({ maxCounterexamples }),
  membership: z.strictObject({}),
} satisfies Record<CheckName, z.ZodType>;
const RUNNER_INPUTS = ['mode', 'conflict', 'samples', 'healTime', 'loadStopTime', 'changes'];

/** A check is a checker name, or `{ name: { setting: value, … } }`; errors list the known names and settings. */
const check = z.unknown().transform((value, context): CheckName | Partial<Record<CheckName, Record<string, CheckSetting>>> => {
  const known = `known checks: ${CHECK_NAMES.join(', ')}`;
  if (typeof value === 'string') {
    if ((CHECK_NAMES as readonly string[]).includes(value)) return value as CheckName;
    context.addIssue({ code: 'custom', message: `unknown check '${value}' (${known})` });
    return z.NEVER;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length !== 1) {
    context.addIssue({ code: 'custom', message: `a check is a name or { name: { setting: value } } (${known})` });
    return z.NEVER;
  }
  const [name, settings] = Object.entries(value)[0]!;
  if (!(CHECK_NAMES as readonly string[]).includes(name)) {
    context.addIssue({ code: 'custom', message: `unknown check '${name}' (${known})` });
    return z.NEVER;
  }
  const schema = CHECK_SETTINGS[name as CheckName];
  const allowed = Object.keys(schema.shape);
  const list = allowed.length === 0 ? 'it has no settings' : `its settings: ${allowed.join(', ')}`;
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) {
    if (settings !== null && settings !== undefined) {
      context.addIssue({ code: 'custom', path: [name], message: `settings of check '${name}' are a map, e.g. { ${allowed[0]}: … } (${list})` });
      return z.NEVER;
    }
    return { [name]: {} } as Partial<Record<CheckName, Record<string, CheckSetting>>>;
  }
  const parsed = schema.safeParse(settings);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          const why = RUNNER_INPUTS.includes(key) ? `'${key}' is supplied by the runner, not a setting` : `unknown setting '${key}'`;
          context.addIssue({ code: 'custom', path: [name, key], message: `${why} of check '${name}' (${list})` });
        }
      } else {
        context.addIssue({ code: 'custom', path: [name, ...issue.path.map((p) => p as string | number)], message: issue.message });
      }
    }
    return z.NEVER;
  }
  const data = parsed.data as Record<string, CheckSetting>;
  if (name === 'convergence' && data.threshold !== undefined) {
    // The checker takes microseconds; the duration form is what a scenario author writes.
    if (data.thresholdMicros !== undefined) {
      context.addIssue({ code: 'custom', path: [name, 'threshold'], message: `give threshold (a duration like 40s) or thresholdMicros, not both` });
      return z.NEVER;
    }
    data.thresholdMicros = data.threshold;
    delete data.threshold;
  }
  return { [name]: data } as Partial<Record<CheckName, Record<string, CheckSetting>>>;
});

export const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(''),
  seed: z.number().int().nonnegative().default(1),
  duration: duration,
  /** Time at the end with no faults and no new client load before the final read phase. */
  quiescence: duration.default(10_000_000),
  cluster,
  network: network.default({ latency: { kind: 'lognormal', medianMs: 0.5, sigma: 0.4 }, loss: 0, duplicate: 0, reorder: false }),
  clocks: clocks.default({ skewMs: 0, driftPpm: 0, nodes: {} }),
  workload,
  faults: z.array(fault).default([]),
  // An empty list would run no checker and still print "verdict OK" (found by a review): leave the key out for
  // the default, or name at least one.
  checks: z.array(check).min(1, 'list at least one check (or leave `checks` out for the default, lost-writes): a run with none has no verdict').default(['lost-writes']),
  /**
   * Judge the history as this conflict mode instead of `cluster.conflict`. Written by `dynalab check
   * --sabotage lww` into its failure files: the store resolves by timestamp while the checks hold it to the
   * vector-clock promise, as the check did.
   */
  judgeConflictAs: z.enum(['vclock', 'lww']).optional(),
});

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioFault = Scenario['faults'][number];

