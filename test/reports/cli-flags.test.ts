import { describe, expect, it } from 'vitest';
import { FlagError, inputsFromFlags, parseQuantity } from '../../cli/commands/report';
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
});
