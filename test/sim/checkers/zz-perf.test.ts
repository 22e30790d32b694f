import fc from 'fast-check';
import { it } from 'vitest';
import { checkLinearizability } from '../../../sim/checkers/linearizability';
import { buildHistory, historySpec } from './register-histories';
it('perf', () => {
  for (const seed of [3, 4, 5]) {
  const [spec] = fc.sample(historySpec({ minOps: 20000, maxOps: 20000 }), { numRuns: 1, seed });
  spec!.keys = 1; spec!.processes = 5;
  for (const mode of ['vclock'] as const) {
    const h = buildHistory(spec!, { mode, overlap: true });
      const t = performance.now();
      const r = checkLinearizability(h, { maxStepsPerKey: 50_000_000, maxSteps: 50_000_000 });
      console.log(seed, r.verdict, Math.round(performance.now() - t), 'ms', JSON.stringify(r.figures));
  }}
});
