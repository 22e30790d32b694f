import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOutDir, FlagError, inputsFromFlags, parseQuantity } from '../../cli/commands/report';
import { SEED_INPUTS } from '../../reports/capacity-model';

/** `dynalab report capacity` flags: SI quantities, and every refusal names the flag the user typed. */
const defaults = {
  nodes: '500', vnodes: '256', n: '3', r: '2', w: '2', keys: '100G', valueBytes: '1KB', reads: '20M', writes: '5M',
  peakFactor: '10', nodeWrites: '10K', bitsPerKey: '10', writeAmpTiered: '5', writeAmpLeveled: '10',
};

const refusal = (overrides: Partial<typeof defaults>): string => {
  try {
    inputsFromFlags({ ...defaults, ...overrides });
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(FlagError);
    return (error as Error).message;
  }
};

describe('report capacity flags', () => {
  it('reads decimal SI quantities as the seeds write them', () => {
    expect(parseQuantity('--keys', '100G')).toBe(100e9);
    expect(parseQuantity('--value-bytes', '1KB')).toBe(1000);
    expect(parseQuantity('--reads', '20M/s')).toBe(20e6);
    expect(parseQuantity('--keys', '1e11')).toBe(1e11);
    expect(parseQuantity('--keys', '1_000')).toBe(1000);
    expect(parseQuantity('--bits-per-key', '9.5')).toBe(9.5);
  });

  it('the defaults are the seed inputs', () => {
    expect(inputsFromFlags(defaults)).toEqual(SEED_INPUTS);
  });

  it('names the flag in every refusal', () => {
    expect(refusal({ keys: '12Q' })).toMatch(/^--keys: '12Q' is not a number/);
    expect(refusal({ nodes: '0' })).toMatch(/^--nodes: /);
    expect(refusal({ n: '7', nodes: '5' })).toMatch(/^--n: /);
    expect(refusal({ r: '4' })).toMatch(/^--r: read quorum R=4 cannot exceed N=3/);
    expect(refusal({ w: '0' })).toMatch(/^--w: /);
    expect(refusal({ bitsPerKey: '0' })).toMatch(/^--bits-per-key: /);
    expect(refusal({ peakFactor: '0.5' })).toMatch(/^--peak-factor: /);
    expect(refusal({ nodes: '100000' })).toMatch(/^--nodes: measuring ring balance/);
    expect(refusal({ nodes: '2000', vnodes: '4096' })).toMatch(/^--vnodes: /);
    expect(refusal({ valueBytes: '-1' })).toMatch(/^--value-bytes: /);
  });

  it('refuses zero traffic and sizes, and records above the store\'s 1 MiB value limit', () => {
    expect(refusal({ writes: '0' })).toMatch(/^--writes: peak writes must be a number > 0, got 0/);
    expect(refusal({ reads: '-1' })).toMatch(/^--reads: '-1' is not a number/); // a negative rate never parses; 0 reads is a write-only workload
    expect(refusal({ valueBytes: '0' })).toMatch(/^--value-bytes: /);
    expect(refusal({ nodeWrites: '0' })).toMatch(/^--node-writes: /);
    expect(refusal({ keys: '0' })).toMatch(/^--keys: /);
    expect(refusal({ valueBytes: '2MB' })).toMatch(/^--value-bytes: .*at most 1,048,576 bytes \(1 MiB, the store's value limit MAX_VALUE_BYTES/);
    expect(refusal({ valueBytes: '1048576' })).toBe('accepted');
  });
});

describe('report capacity --out', () => {
  const work = mkdtempSync(join(tmpdir(), 'dynalab-out-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const outRefusal = (dir: string): string => {
    try {
      checkOutDir(dir);
      return 'accepted';
    } catch (error) {
      expect(error).toBeInstanceOf(FlagError);
      return (error as Error).message;
    }
  };

  it('refuses an existing file, or a path under one, before anything is measured', () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'x');
    expect(outRefusal(file)).toBe(`--out: '${file}' exists and is not a directory`);
    expect(outRefusal(join(file, 'sub'))).toMatch(/^--out: '.*a-file\/sub' cannot be created/);
  });

  it('accepts an existing directory or a new one under a directory, and creates nothing', () => {
    expect(outRefusal(work)).toBe('accepted');
    expect(outRefusal(join(work, 'new', 'deeper'))).toBe('accepted');
    expect(outRefusal('')).toMatch(/^--out: /);
  });
});
