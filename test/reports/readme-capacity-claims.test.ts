import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FlagError, inputsFromFlags } from '../../cli/commands/report';

/**
 * What README's "Capacity reports" says `dynalab report capacity` refuses, held against what the flags do:
 * it said zero traffic is refused, while `--reads 0` (a write-only workload) is deliberately accepted.
 */
const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Capacity reports'), readme.indexOf('## Real mode'));
const prose = section.replace(/```[\s\S]*?```/g, '').replace(/\s+/g, ' ');

const defaults = {
  nodes: '500', vnodes: '256', n: '3', r: '2', w: '2', keys: '100G', valueBytes: '1KB', reads: '20M', writes: '5M',
  peakFactor: '10', nodeWrites: '10K', bitsPerKey: '10', writeAmpTiered: '5', writeAmpLeveled: '10',
};
const accepted = (overrides: Partial<typeof defaults>): boolean => {
  try {
    inputsFromFlags({ ...defaults, ...overrides });
    return true;
  } catch (error) {
    expect(error).toBeInstanceOf(FlagError);
    return false;
  }
};

describe('README: what the capacity report refuses', () => {
  it('zero reads is accepted, and the README says so rather than "zero traffic is refused"', () => {
    expect(accepted({ reads: '0' })).toBe(true);
    expect(prose).not.toMatch(/zero or negative traffic and sizes are refused/i);
    expect(prose).toMatch(/`--reads 0`[^.]*accepted/);
  });

  it('what it still says is refused is refused: zero writes, node writes, keys and value bytes; negative quantities', () => {
    for (const flag of ['writes', 'nodeWrites', 'keys', 'valueBytes'] as const) expect(accepted({ [flag]: '0' }), flag).toBe(false);
    for (const flag of ['reads', 'writes', 'keys'] as const) expect(accepted({ [flag]: '-1' }), flag).toBe(false);
    expect(prose).toContain('`--writes: peak writes must be a number > 0, got 0`');
  });
});
