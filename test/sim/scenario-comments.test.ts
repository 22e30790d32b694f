import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../sim/run-scenario';
import { loadScenario } from '../../sim/scenario/load';
import { expandVariants } from '../../sim/variants';

/**
 * What two scenario files' header comments promise, held against what the store does: join-leave said the
 * joiner pulls from one old replica per arc and copies ≈ 3/6 of the keys (it pulls from every old replica,
 * and `sim run` counts sibling sets received); quorum-tradeoffs said R + W > N buys fresh reads (with sloppy
 * quorum on and n3 cut off, 3/1/3 reads go stale).
 */
const root = resolve(__dirname, '../..');
const file = (name: string) => readFileSync(resolve(root, 'scenarios', name), 'utf8');
/** The header comment, as one line of prose. */
const comment = (text: string) => text.split('\n').filter((l) => l.startsWith('#')).map((l) => l.replace(/^#\s?/, '')).join(' ').replace(/\s+/g, ' ');

describe('scenarios/join-leave.yaml: the comment describes the transfer as the code does it', () => {
  const text = comment(file('join-leave.yaml'));

  it('the joiner pulls every arc from every old replica; the membership line counts sibling sets', () => {
    expect(text).not.toMatch(/one old replica per arc/);
    expect(text).toMatch(/from every old replica/);
    expect(text).not.toMatch(/keys copied to n5 ≈/);
    // The comment quotes what `sim run` prints (cli/commands/sim-run.ts).
    expect(text).toMatch(/sibling sets received \(from every old replica, catch-up included\)/);
    expect(text).toMatch(/sibling sets sent \(to every new replica, catch-up included\)/);
  });
});

describe('scenarios/quorum-tradeoffs.yaml: the comment says what the run shows', () => {
  const source = file('quorum-tradeoffs.yaml');
  const text = comment(source);
  const scenario = loadScenario(source, 'quorum-tradeoffs.yaml');

  it('sloppy quorum is on and n3 is cut off: 3/1/3 (R + W > N) still reads stale; with sloppy quorum off it does not', () => {
    expect(scenario.cluster.sloppyQuorum).toBe(true);
    expect(scenario.faults.some((f) => 'partition' in f)).toBe(true);
    const [sloppy, strict] = expandVariants(scenario, ['nrw=3/1/3', 'sloppyQuorum=true,false']).map((v) => runScenario(v.scenario).result);
    const staleRate = (r: typeof sloppy) => r!.checks.find((c) => c.checker === 'stale-reads')!.figures.staleRate ?? 0;
    expect(staleRate(sloppy)).toBeGreaterThan(0.01);
    expect(staleRate(strict)).toBe(0);
  });

  it('so the comment does not promise fresh reads from R + W > N, and says why they are not', () => {
    expect(text).not.toMatch(/R \+ W > N buys fresh reads/);
    expect(text).toMatch(/sloppy quorum/i);
    expect(text).toMatch(/--vary sloppyQuorum=true,false/);
  });
});
