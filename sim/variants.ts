import type { Scenario } from './scenario/schema';
import { scenarioProblems } from './scenario/semantics';
import { parseDurationMicros, parseSizeBytes } from './scenario/units';

/**
 * Scenario variants for `sim compare`: `conflict=lww,vclock`, `nrw=3/1/3,3/2/2,3/3/1`, `vnodes=8,256`, … Each
 * `--vary` gives one knob and its values; several knobs multiply (every combination). Every variant keeps the
 * scenario's seed, so the workload and the fault schedule are the same draw for all of them and the only
 * difference is the knob.
 */
export interface Variant {
  label: string;
  scenario: Scenario;
}

type Apply = (scenario: Scenario, value: string) => Scenario;

const KNOBS: Record<string, { describe: string; apply: Apply }> = {
  conflict: {
    describe: 'vclock | lww',
    apply: (s, v) => {
      if (v !== 'vclock' && v !== 'lww') throw new Error(`conflict must be vclock or lww, got '${v}'`);
      return { ...s, cluster: { ...s.cluster, conflict: v } };
    },
  },
  nrw: {
    describe: 'N/R/W, e.g. 3/2/2',
    apply: (s, v) => {
      const match = /^(\d+)\/(\d+)\/(\d+)$/.exec(v);
      if (!match) throw new Error(`nrw must look like 3/2/2, got '${v}'`);
      const [n, r, w] = [Number(match[1]), Number(match[2]), Number(match[3])];
      if (r > n || w > n || n > s.cluster.nodes || n < 1 || r < 1 || w < 1) throw new Error(`nrw ${v} is invalid for a ${s.cluster.nodes}-node cluster (need 1 ≤ R, W ≤ N ≤ nodes)`);
      return { ...s, cluster: { ...s.cluster, n, r, w } };
    },
  },
  n: { describe: 'replicas', apply: (s, v) => ({ ...s, cluster: { ...s.cluster, n: positive('n', v, 255) } }) },
  r: { describe: 'read quorum', apply: (s, v) => ({ ...s, cluster: { ...s.cluster, r: positive('r', v) } }) },
  w: { describe: 'write quorum', apply: (s, v) => ({ ...s, cluster: { ...s.cluster, w: positive('w', v) } }) },
  vnodes: { describe: 'vnodes per node', apply: (s, v) => ({ ...s, cluster: { ...s.cluster, vnodes: positive('vnodes', v, 4096) } }) },
  sloppyQuorum: { describe: 'true | false', apply: (s, v) => ({ ...s, cluster: { ...s.cluster, sloppyQuorum: bool('sloppyQuorum', v) } }) },
  hintedHandoff: { describe: 'true | false', apply: (s, v) => ({ ...s, cluster: { ...s.cluster, hintedHandoff: bool('hintedHandoff', v) } }) },
  readRepair: { describe: 'true | false', apply: (s, v) => ({ ...s, cluster: { ...s.cluster, readRepair: bool('readRepair', v) } }) },
  compaction: {
    describe: 'leveled | size-tiered',
    apply: (s, v) => {
      if (v !== 'leveled' && v !== 'size-tiered') throw new Error(`compaction must be leveled or size-tiered, got '${v}'`);
      return { ...s, cluster: { ...s.cluster, storage: { ...s.cluster.storage, compaction: v } } };
    },
  },
  memtable: {
    describe: 'memtable size, e.g. 64KiB, 4MiB',
    apply: (s, v) => {
      const bytes = parsedOr(parseSizeBytes, v, `memtable must be a size like 64KiB or 4MiB, got '${v}'`);
      if (!(bytes > 0)) throw new Error(`memtable must be more than 0 bytes, got '${v}'`);
      return { ...s, cluster: { ...s.cluster, storage: { ...s.cluster.storage, memtableBytes: bytes } } };
    },
  },
  diskMBps: {
    describe: "disk write bandwidth in MB/s, 0 = unlimited",
    apply: (s, v) => {
      const mbps = Number(v);
      if (v.trim() === '' || !Number.isFinite(mbps) || mbps < 0) throw new Error(`diskMBps must be a number ≥ 0 (MB/s; 0 = unlimited), got '${v}'`);
      return { ...s, cluster: { ...s.cluster, storage: { ...s.cluster.storage, writeMegabytesPerSecond: mbps } } };
    },
  },
  grace: {
    describe: 'tombstone grace, e.g. 30s or 240h',
    apply: (s, v) => {
      const micros = parsedOr(parseDurationMicros, v, `grace must be a duration like 30s or 240h, got '${v}'`);
      return { ...s, cluster: { ...s.cluster, storage: { ...s.cluster.storage, tombstoneGrace: micros } } };
    },
  },
  antiEntropy: {
    describe: "exchange interval, e.g. 2s, or 'off'",
    apply: (s, v) => {
      if (v === 'off' || v === '0') return { ...s, cluster: { ...s.cluster, antiEntropyInterval: 0 } };
      const micros = parsedOr(parseDurationMicros, v, `antiEntropy must be a duration like 2s or 'off', got '${v}'`);
      return { ...s, cluster: { ...s.cluster, antiEntropyInterval: micros } };
    },
  },
  rate: { describe: 'client ops per simulated second', apply: (s, v) => ({ ...s, workload: { ...s.workload, rate: positiveNumber('rate', v) } }) },
};

/** `parse(value)`, or an Error saying `message` when it cannot be parsed (the parser's own message names units only). */
function parsedOr(parse: (value: string) => number, value: string, message: string): number {
  try {
    return parse(value);
  } catch {
    throw new Error(message);
  }
}

export const VARY_HELP = Object.entries(KNOBS).map(([name, knob]) => `${name} (${knob.describe})`).join(', ');

/** Knobs that set the same setting: varying both would let one silently overwrite the other. */
const OVERLAPS: Record<string, string[]> = { nrw: ['n', 'r', 'w'], n: ['nrw'], r: ['nrw'], w: ['nrw'] };

/**
 * Parses `knob=v1,v2` specs and returns every combination, in the order given. A knob given twice (or with
 * `nrw` beside `n`, `r` or `w`), a value given twice, and a variant the scenario cannot run are errors.
 */
export function expandVariants(scenario: Scenario, specs: readonly string[]): Variant[] {
  let variants: Variant[] = [{ label: '', scenario }];
  const seen = new Map<string, string>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const knobName = eq === -1 ? spec : spec.slice(0, eq);
    const knob = KNOBS[knobName];
    if (eq === -1 || knob === undefined) throw new Error(`--vary '${spec}': expected knob=value1,value2 with knob one of: ${VARY_HELP}`);
    const earlier = seen.get(knobName);
    if (earlier !== undefined) throw new Error(`--vary '${spec}': ${knobName} is already varied by --vary '${earlier}'; give all its values in one --vary (${knobName}=a,b,c)`);
    for (const other of OVERLAPS[knobName] ?? []) {
      const clash = seen.get(other);
      if (clash !== undefined) throw new Error(`--vary '${spec}': ${knobName} and ${other} set the same replication knobs (--vary '${clash}'); vary one of them`);
    }
    seen.set(knobName, spec);
    const values = spec.slice(eq + 1).split(',').map((v) => v.trim()).filter((v) => v !== '');
    if (values.length === 0) throw new Error(`--vary '${spec}': no values given`);
    const repeated = values.find((value, i) => values.indexOf(value) !== i);
    if (repeated !== undefined) throw new Error(`--vary '${spec}': value '${repeated}' is given twice`);
    variants = variants.flatMap((base) =>
      values.map((value) => ({
        label: base.label ? `${base.label} ${knobName}=${value}` : `${knobName}=${value}`,
        scenario: knob.apply(base.scenario, value),
      })),
    );
  }
  for (const variant of variants) {
    const c = variant.scenario.cluster;
    if (c.r > c.n || c.w > c.n || c.n > c.nodes) throw new Error(`variant ${variant.label}: N=${c.n} R=${c.r} W=${c.w} is invalid for ${c.nodes} nodes`);
    const problems = scenarioProblems(variant.scenario);
    if (problems.length > 0) throw new Error(`variant ${variant.label}: ${problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`);
  }
  // Different spellings of one setting (n=3,03; antiEntropy=off,0) would run the same variant twice.
  const byScenario = new Map<string, string>();
  for (const variant of variants) {
    const key = JSON.stringify(variant.scenario);
    const twin = byScenario.get(key);
    if (twin !== undefined) throw new Error(`variants ${twin} and ${variant.label} are the same scenario; give each setting once`);
    byScenario.set(key, variant.label);
  }
  return variants;
}

function positive(name: string, value: string, max = Number.MAX_SAFE_INTEGER): number {
  const parsed = Number(value);
  if (!(Number.isInteger(parsed) && parsed >= 1 && parsed <= max)) {
    throw new Error(`${name} must be a positive integer${max < Number.MAX_SAFE_INTEGER ? ` ≤ ${max}` : ''}, got '${value}'`);
  }
  return parsed;
}

function positiveNumber(name: string, value: string): number {
  const parsed = Number(value);
  if (!(Number.isFinite(parsed) && parsed > 0 && value.trim() !== '')) throw new Error(`${name} must be a number > 0, got '${value}'`);
  return parsed;
}

function bool(name: string, value: string): boolean {
  if (value !== 'true' && value !== 'false') throw new Error(`${name} must be true or false, got '${value}'`);
  return value === 'true';
}
