import { describe, expect, it } from 'vitest';
import { kernelDemoMinimumDuration, kernelDemoSchedule, runKernelDemo } from '../../sim/demos/kernel-demo';

describe('kernel demo (library)', () => {
  it('the schedule is 15/70 and 40/70 of the duration, and the result says when the partition and the heal were', () => {
    expect(kernelDemoSchedule(70_000_000)).toEqual({ partitionAtMicros: 15_000_000, healAtMicros: 40_000_000 });
    expect(kernelDemoSchedule(56_000_000)).toEqual({ partitionAtMicros: 12_000_000, healAtMicros: 32_000_000 });
    const result = runKernelDemo({ seed: 3, nodes: 10, durationMicros: 45_000_000, ...kernelDemoSchedule(45_000_000) });
    expect(result.partitionAtMicros).toBe(9_642_857);
    expect(result.healAtMicros).toBe(25_714_286);
  });

  it('the minimum duration gives warm-up, detection and the time after the heal their share of the schedule', () => {
    // 50 nodes: failure timeout 0.5 s × (2·6 + 6) = 9 s; detection needs 2 × 9 s = 18 s inside the 25/70 window.
    expect(kernelDemoMinimumDuration(50)).toEqual({ warmUpMicros: 9_000_000, detectionMicros: 18_000_000, afterHealMicros: 9_000_000, durationMicros: 51_000_000 });
    expect(kernelDemoMinimumDuration(2).durationMicros).toBe(23_000_000);
    expect(kernelDemoMinimumDuration(500).durationMicros).toBe(68_000_000);
    expect(kernelDemoMinimumDuration(5000).durationMicros).toBe(90_000_000);
    for (const nodes of [2, 3, 17, 50, 500, 5000]) {
      const minimum = kernelDemoMinimumDuration(nodes);
      const { partitionAtMicros, healAtMicros } = kernelDemoSchedule(minimum.durationMicros);
      expect(partitionAtMicros).toBeGreaterThanOrEqual(minimum.warmUpMicros);
      expect(healAtMicros - partitionAtMicros).toBeGreaterThanOrEqual(minimum.detectionMicros);
      expect(minimum.durationMicros - healAtMicros).toBeGreaterThanOrEqual(minimum.afterHealMicros);
      // The default 70 s is enough for the README's 50 nodes.
      if (nodes <= 256) expect(minimum.durationMicros).toBeLessThanOrEqual(70_000_000);
    }
  });

  it('a partition window shorter than detection: no detection, and how far dropping got by the heal', () => {
    const result = runKernelDemo({ seed: 1, nodes: 50, durationMicros: 40_000_000, partitionAtMicros: 15_000_000, healAtMicros: 20_000_000 });
    expect(result.detectionMicrosAfterPartition).toBeNull();
    expect(result.droppedBeforeHeal.majorityNodes).toBe(35);
    expect(result.droppedBeforeHeal.droppedEveryMinorityNode).toBeLessThan(35);
    expect(result.droppedBeforeHeal.averageMinorityNodesDropped).toBeGreaterThanOrEqual(0);
    expect(result.droppedBeforeHeal.averageMinorityNodesDropped).toBeLessThan(15);
  });

  it('once detected, every majority node had dropped every minority node before the heal', () => {
    const result = runKernelDemo({ seed: 11, nodes: 30 });
    expect(result.detectionMicrosAfterPartition).not.toBeNull();
    expect(result.droppedBeforeHeal).toEqual({ majorityNodes: 21, droppedEveryMinorityNode: 21, averageMinorityNodesDropped: 9 });
  });

  it('a duration that is not a whole number of seconds is simulated to its end', () => {
    const durationMicros = 30_500_000;
    const progress: number[] = [];
    const result = runKernelDemo({ seed: 2, nodes: 4, durationMicros, ...kernelDemoSchedule(durationMicros), onProgress: (done) => progress.push(done) });
    expect(result.simulatedMicros).toBe(durationMicros);
    expect(progress.at(-1)).toBe(durationMicros);
  });

  it('the README run keeps its trace hash', () => {
    expect(runKernelDemo({ seed: 7, nodes: 50, durationMicros: 70_000_000, ...kernelDemoSchedule(70_000_000) }).traceHash).toBe('75e6ad23e74055a7');
  });
});
