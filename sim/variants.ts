import { z } from 'zod';
import { scenarioSchema, type Scenario } from './scenario/schema';
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

/**
 * A `--vary` knob: the scenario-file fields it sets, and what one typed value puts in them — as a scenario file
 * would hold them (a number, a boolean, a duration or size text), after checking its form. The values then go
 * through the scenario schema's own definition of each field (fieldSchema), so a variant is held to the limits
 * a file is: `diskMBps=2000000` was run though the same value in a file is refused (a review).
 */
interface Knob {
  describe: string;
  fields: readonly (readonly string[])[];
  input: (value: string, scenario: Scenario) => unknown[];
}

const KNOBS: Record<string, Knob> = {
  conflict: {
    describe: 'vclock | lww',
    fields: [['cluster', 'conflict']],
    input: (v) => {
      if (v !== 'vclock' && v !== 'lww') throw new Error(`conflict must be vclock or lww, got '${v}'`);
      return [v];
    },
  },
  nrw: {
    describe: 'N/R/W, e.g. 3/2/2',
    fields: [['cluster', 'n'], ['cluster', 'r'], ['cluster', 'w']],
    input: (v, s) => {
      const match = /^(\d+)\/(\d+)\/(\d+)$/.exec(v);
      if (!match) throw new Error(`nrw must look like 3/2/2, got '${v}'`);
      const [n, r, w] = [Number(match[1]), Number(match[2]), Number(match[3])];
      if (r > n || w > n || n > s.cluster.nodes || n < 1 || r < 1 || w < 1) throw new Error(`nrw ${v} is invalid for a ${s.cluster.nodes}-node cluster (need 1 ≤ R, W ≤ N ≤ nodes)`);
      return [n, r, w];
    },
  },
  n: { describe: 'replicas', fields: [['cluster', 'n']], input: (v) => [positive('n', v, 255)] },
  r: { describe: 'read quorum', fields: [['cluster', 'r']], input: (v) => [positive('r', v)] },
  w: { describe: 'write quorum', fields: [['cluster', 'w']], input: (v) => [positive('w', v)] },
  vnodes: { describe: 'vnodes per node', fields: [['cluster', 'vnodes']], input: (v) => [positive('vnodes', v, 4096)] },
  sloppyQuorum: { describe: 'true | false', fields: [['cluster', 'sloppyQuorum']], input: (v) => [bool('sloppyQuorum', v)] },
  hintedHandoff: { describe: 'true | false', fields: [['cluster', 'hintedHandoff']], input: (v) => [bool('hintedHandoff', v)] },
  readRepair: { describe: 'true | false', fields: [['cluster', 'readRepair']], input: (v) => [bool('readRepair', v)] },
  compaction: {
    describe: 'leveled | size-tiered',
    fields: [['cluster', 'storage', 'compaction']],
    input: (v) => {
      if (v !== 'leveled' && v !== 'size-tiered') throw new Error(`compaction must be leveled or size-tiered, got '${v}'`);
      return [v];
    },
  },
  memtable: {
    describe: 'memtable size, e.g. 64KiB, 4MiB',
    fields: [['cluster', 'storage', 'memtableBytes']],
    input: (v) => {
      const bytes = parsedOr(parseSizeBytes, v, `memtable must be a size like 64KiB or 4MiB, got '${v}'`);
      if (!(bytes > 0)) throw new Error(`memtable must be more than 0 bytes, got '${v}'`);
      return [v];
    },
  },
  diskMBps: {
    describe: 'disk write bandwidth in MB/s, 0 = unlimited',
    fields: [['cluster', 'storage', 'writeMegabytesPerSecond']],
    input: (v) => [decimal(v, `diskMBps must be a number ≥ 0 (MB/s in decimal digits, e.g. 400 or 2.5; 0 = unlimited), got '${v}'`)],
  },
  grace: {
    describe: 'tombstone grace, e.g. 30s or 240h',
    fields: [['cluster', 'storage', 'tombstoneGrace']],
    input: (v) => {
      parsedOr(parseDurationMicros, v, `grace must be a duration like 30s or 240h, got '${v}'`);
      return [v];
    },
  },
  antiEntropy: {
    describe: "exchange interval, e.g. 2s, or 'off'",
    fields: [['cluster', 'antiEntropyInterval']],
    input: (v) => {
      if (v === 'off' || v === '0') return [0];
      parsedOr(parseDurationMicros, v, `antiEntropy must be a duration like 2s or 'off', got '${v}'`);
      return [v];
    },
  },
  rate: {
    describe: 'client ops per simulated second',
    fields: [['workload', 'rate']],
    input: (v) => {
      const rate = decimal(v, `rate must be a number > 0 in decimal digits (e.g. 200 or 12.5), got '${v}'`);
      if (!(rate > 0)) throw new Error(`rate must be a number > 0 in decimal digits (e.g. 200 or 12.5), got '${v}'`);
      return [rate];
    },
  },
};

/** Where a knob's setting lives in a scenario file, e.g. `cluster.storage.writeMegabytesPerSecond`; nrw: `cluster.n/r/w`. */
function knobField(knobName: string): string | undefined {
  const knob = KNOBS[knobName];
  if (knob === undefined) return undefined;
  const paths = knob.fields.map((path) => path.join('.'));
  if (paths.length === 1) return paths[0];
  const parent = knob.fields[0]!.slice(0, -1).join('.');
  return `${parent}.${knob.fields.map((path) => path.at(-1)).join('/')}`;
}

/** For `sim compare`'s replay line: where in the file to set each knob the specs vary ('' if none is known). */
export function knobFieldHint(specs: readonly string[]): string {
  const names = [...new Set(specs.map((spec) => spec.split('=', 1)[0]!))];
  return names
    .map((name) => [name, knobField(name)] as const)
    .filter(([, field]) => field !== undefined)
    .map(([name, field]) => `${name} is ${field}${name === 'antiEntropy' ? " ('off' is 0)" : ''}`)
    .join('; ');
}

/** The schema's own definition of a scenario field (durations and sizes as a file writes them). */
function fieldSchema(path: readonly string[]): z.ZodType {
  let schema: z.ZodType = scenarioSchema;
  for (const key of path) {
    while (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
    if (!(schema instanceof z.ZodObject)) throw new Error(`internal: ${path.join('.')} is not a scenario field`);
    schema = (schema.shape as Record<string, z.ZodType>)[key]!;
  }
  return schema;
}

/** `scenario` with `value` at `path` (copies along the path; the rest is shared). */
function setIn<T>(scenario: T, path: readonly string[], value: unknown): T {
  const [head, ...rest] = path;
  const object = scenario as Record<string, unknown>;
  return { ...object, [head!]: rest.length === 0 ? value : setIn(object[head!], rest, value) } as T;
}

/** `knobName=value` applied to `scenario`, each field parsed by the scenario schema as if the file held the value. */
function applyKnob(scenario: Scenario, knobName: string, knob: Knob, value: string): Scenario {
  const inputs = knob.input(value, scenario);
  let varied = scenario;
  for (const [i, path] of knob.fields.entries()) {
    const parsed = fieldSchema(path).safeParse(inputs[i]);
    if (!parsed.success) {
      throw new Error(`--vary ${knobName}=${value}: ${path.join('.')}: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
    }
    varied = setIn(varied, path, parsed.data);
  }
  return varied;
}

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
        scenario: applyKnob(base.scenario, knobName, knob, value),
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

/** A whole number ≥ 1 (≤ max) in decimal digits: `1e2` and `0x10` are refused, as a scenario file would not read them so. */
function positive(name: string, value: string, max = Number.MAX_SAFE_INTEGER): number {
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(Number.isSafeInteger(parsed) && parsed >= 1 && parsed <= max)) {
    throw new Error(`${name} must be a positive integer${max < Number.MAX_SAFE_INTEGER ? ` ≤ ${max}` : ''} in decimal digits, got '${value}'`);
  }
  return parsed;
}

/** A number ≥ 0 in decimal digits (`2.5`; not `1e3`, `0x10`, `-1` or `Infinity`), or an Error saying `message`. */
function decimal(value: string, message: string): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new Error(message);
  return Number(value);
}

function bool(name: string, value: string): boolean {
  if (value !== 'true' && value !== 'false') throw new Error(`${name} must be true or false, got '${value}'`);
  return value === 'true';
}
