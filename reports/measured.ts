/**
 * What dynalab measures to set beside the capacity model — computed when the report runs, never copied from an
 * earlier run: ring balance from core/ring, bloom false positives from the engine's filter code, write
 * amplification from the LSM engine on the simulated disk, and, when a scenario file is given, its latency,
 * availability, staleness and sibling figures from a full simulator run.
 *
 * Everything here is deterministic (seeded or derived from fixed inputs); only `wallSeconds` per step comes
 * from the real clock, so the report can say what each measurement cost.
 */
import type { CompactionStrategy } from '../core/storage';
import { measureBloom, type BloomMeasurement } from './measured/bloom';
import { DEFAULT_COMPACTION_LOAD, measureCompaction, type CompactionLoad, type CompactionMeasurement } from './measured/compaction';
import { measureRing, type RingMeasurement } from './measured/ring';
import { measureScenario, type ScenarioMeasurement } from './measured/scenario';

export type { BloomMeasurement, BloomPoint } from './measured/bloom';
export type { CompactionLoad, CompactionMeasurement } from './measured/compaction';
export type { RingMeasurement, RingPoint, StrategyPoint } from './measured/ring';
export type { ScenarioMeasurement } from './measured/scenario';

export interface MeasureOptions {
  nodes: number;
  vnodes: number;
  replicas: number;
  bloomBitsPerKey: number;
  /** A scenario to run: its file name (for messages) and text. */
  scenario?: { file: string; text: string };
  /** Smaller loads for tests. */
  compactionLoad?: CompactionLoad;
  /** Called when a step starts (and, for a scenario, as it advances). */
  onStep?: (label: string) => void;
  onScenarioProgress?: (doneMicros: number, totalMicros: number) => void;
}

export interface Measured {
  ring: RingMeasurement;
  bloom: BloomMeasurement;
  compaction: { load: CompactionLoad; strategies: CompactionMeasurement[] };
  scenario: ScenarioMeasurement | null;
  /** Wall-clock cost of each step, seconds. */
  wallSeconds: Record<string, number>;
}

export function measure(options: MeasureOptions): Measured {
  const onStep = options.onStep ?? (() => {});
  const wallSeconds: Record<string, number> = {};
  const timed = <T>(name: string, run: () => T): T => {
    const started = performance.now();
    const value = run();
    wallSeconds[name] = (performance.now() - started) / 1000;
    return value;
  };
  const ring = timed('ring', () => measureRing(options.nodes, options.vnodes, options.replicas, onStep));
  onStep(`bloom filters at ${options.bloomBitsPerKey} bits/key`);
  const bloom = timed('bloom', () => measureBloom(options.bloomBitsPerKey));
  const load = options.compactionLoad ?? DEFAULT_COMPACTION_LOAD;
  const strategies = timed('compaction', () =>
    (['size-tiered', 'leveled'] as CompactionStrategy[]).map((strategy) => {
      onStep(`LSM engine, ${strategy} compaction: ${load.puts} puts of ${load.valueBytes} B`);
      return measureCompaction(strategy, options.bloomBitsPerKey, load);
    }),
  );
  let scenario: ScenarioMeasurement | null = null;
  if (options.scenario !== undefined) {
    const { file, text } = options.scenario;
    onStep(`scenario ${file}`);
    scenario = timed('scenario', () => measureScenario(text, file, options.onScenarioProgress));
  }
  return { ring, bloom, compaction: { load, strategies }, scenario, wallSeconds };
}
