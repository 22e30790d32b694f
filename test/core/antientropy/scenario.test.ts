import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../sim/run-scenario';
import { loadScenario } from '../../../sim/scenario/load';
import { expandVariants } from '../../../sim/variants';

/** scenarios/anti-entropy.yaml end to end, and the knobs that reach it. */
const scenario = loadScenario(readFileSync('scenarios/anti-entropy.yaml', 'utf8'), 'anti-entropy.yaml');

describe('anti-entropy scenario', () => {
  it('the knob defaults to off, parses durations, and --vary antiEntropy sets it', () => {
    const text = readFileSync('scenarios/anti-entropy.yaml', 'utf8');
    expect(scenario.cluster.antiEntropyInterval).toBe(2_000_000);
    expect(loadScenario(text.replace(/^  antiEntropyInterval: .*\n/m, ''), 'x.yaml').cluster.antiEntropyInterval).toBe(0);
    const variants = expandVariants(scenario, ['antiEntropy=off,500ms,1h']);
    expect(variants.map((v) => [v.label, v.scenario.cluster.antiEntropyInterval])).toEqual([
      ['antiEntropy=off', 0], ['antiEntropy=500ms', 500_000], ['antiEntropy=1h', 3_600_000_000],
    ]);
    expect(() => expandVariants(scenario, ['antiEntropy=weekly'])).toThrow(/duration like 2s or 'off'/);
  });

  it('with exchanges every 2 s the isolated owner converges with no hints and no reads; switched off it never does', () => {
    const on = runScenario(scenario).result;
    const off = runScenario(expandVariants(scenario, ['antiEntropy=off'])[0]!.scenario).result;
    const convergence = (r: typeof on) => r.checks.find((c) => c.checker === 'convergence')!;
    expect(convergence(on).verdict).toBe('ok');
    expect(on.figures.finalDivergentKeys).toBe(0);
    expect(on.figures.antiEntropy.keysRepaired).toBeGreaterThan(100);
    expect(on.figures.antiEntropy.keysSent).toBeLessThan(on.figures.antiEntropy.keysCompared / 10);
    expect(on.figures.readRepairs + on.figures.hints.delivered).toBe(0);
    expect(convergence(off).verdict).toBe('fail');
    expect(off.figures.finalDivergentKeys).toBeGreaterThan(100);
    expect(off.figures.antiEntropy).toEqual({ exchanges: 0, keysCompared: 0, keysSent: 0, keysRepaired: 0 });
    for (const r of [on, off]) expect(r.checks.find((c) => c.checker === 'lost-writes')!.verdict).toBe('ok');
  });
});
