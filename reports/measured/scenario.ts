/**
 * The optional scenario part of the report: run a scenario file on the simulator (sim/run-scenario.ts) and
 * keep the figures a capacity reader sets beside the model — latency percentiles per operation, availability
 * during and outside faults, the stale-read rate and the sibling distribution — plus the verdict and trace
 * hash so the run can be replayed.
 */
import { runScenario, type LatencySummary } from '../../sim/run-scenario';
import { loadScenario } from '../../sim/scenario/load';

export interface ScenarioMeasurement {
  file: string;
  name: string;
  seed: number;
  cluster: { nodes: number; vnodes: number; n: number; r: number; w: number; conflict: string };
  verdict: string;
  traceHash: string;
  checks: { checker: string; verdict: string; summary: string }[];
  latency: { op: 'get' | 'put' | 'delete' | 'cas'; summary: LatencySummary }[];
  operations: { completed: number; ok: number; fail: number; info: number };
  availability: { duringFaults: number | null; outsideFaults: number | null; faultSeconds: number };
  /** null when the scenario did not run the stale-reads checker. */
  staleReads: { reads: number; stale: number; rate: number } | null;
  /** null when the scenario did not run the siblings checker. */
  siblings: { mean: number; p99: number; max: number } | null;
  simulatedSeconds: number;
  events: number;
}

export function measureScenario(text: string, file: string, onProgress: (doneMicros: number, totalMicros: number) => void = () => {}): ScenarioMeasurement {
  const scenario = loadScenario(text, file);
  const { result } = runScenario(scenario, { onProgress: (done, total) => onProgress(done, total) });
  const f = result.figures;
  const stale = result.checks.find((c) => c.checker === 'stale-reads');
  const siblings = result.checks.find((c) => c.checker === 'siblings');
  const c = scenario.cluster;
  return {
    file,
    name: result.scenario,
    seed: result.seed,
    cluster: { nodes: c.nodes, vnodes: c.vnodes, n: c.n, r: c.r, w: c.w, conflict: c.conflict },
    verdict: result.verdict,
    traceHash: result.traceHash,
    checks: result.checks.map((check) => ({ checker: check.checker, verdict: check.verdict, summary: check.summary })),
    latency: (['get', 'put', 'delete', 'cas'] as const).filter((op) => f.latency[op].count > 0).map((op) => ({ op, summary: f.latency[op] })),
    operations: { completed: f.operations.completed, ok: f.operations.ok, fail: f.operations.fail, info: f.operations.info },
    availability: f.availability,
    staleReads: stale ? { reads: stale.figures.reads ?? 0, stale: stale.figures.staleReads ?? 0, rate: stale.figures.staleRate ?? 0 } : null,
    siblings: siblings ? { mean: siblings.figures.mean ?? 0, p99: siblings.figures.p99 ?? 0, max: siblings.figures.max ?? 0 } : null,
    simulatedSeconds: f.simulatedSeconds,
    events: f.events,
  };
}
