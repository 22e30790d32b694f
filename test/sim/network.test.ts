import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventTag } from '../../sim/simulator';
import { SimWorld } from '../../sim/world';
import type { LinkConditions } from '../../sim/network';

/**
 * Properties of the simulated network. Each message carries its own id; the test keeps an independent model
 * of the partition state over time and checks every delivery against it.
 */
interface Delivery {
  id: number;
  from: string;
  to: string;
  sentAt: number;
  deliveredAt: number;
}

type Step =
  | { kind: 'send'; from: number; to: number; afterMicros: number }
  | { kind: 'partition'; cut: number[]; afterMicros: number }
  | { kind: 'oneWay'; from: number[]; to: number[]; afterMicros: number }
  | { kind: 'heal'; afterMicros: number };

const NODES = 5;
const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('send' as const), from: fc.nat(NODES - 1), to: fc.nat(NODES - 1), afterMicros: fc.nat(3000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('partition' as const), cut: fc.uniqueArray(fc.nat(NODES - 1), { minLength: 1, maxLength: NODES - 1 }), afterMicros: fc.nat(3000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('oneWay' as const), from: fc.uniqueArray(fc.nat(NODES - 1), { minLength: 1, maxLength: 2 }), to: fc.uniqueArray(fc.nat(NODES - 1), { minLength: 1, maxLength: 2 }), afterMicros: fc.nat(3000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('heal' as const), afterMicros: fc.nat(3000) }) },
);

function runSchedule(seed: number, steps: Step[], link: Partial<LinkConditions>) {
  const world = new SimWorld(seed, link);
  const ids = Array.from({ length: NODES }, (_, i) => `n${i}`);
  const deliveries: Delivery[] = [];
  const sent: { id: number; from: string; to: string; sentAt: number }[] = [];
  for (const id of ids) {
    const machine = world.addMachine(id);
    machine.transport.onMessage((from, message) => {
      const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
      deliveries.push({ id: view.getUint32(0), from, to: id, sentAt: view.getFloat64(4), deliveredAt: world.simulator.nowMicros });
    });
  }
  // Independent model of which directed links are blocked, as a list of (time, blocked-set) changes.
  const blockedAt: { at: number; blocked: Set<string> }[] = [{ at: 0, blocked: new Set() }];
  let group: number[] = new Array(NODES).fill(0);
  let oneWay = new Set<string>();
  const snapshot = () => {
    const blocked = new Set<string>(oneWay);
    for (let a = 0; a < NODES; a++) for (let b = 0; b < NODES; b++) if (a !== b && group[a] !== group[b]) blocked.add(`n${a}>n${b}`);
    return blocked;
  };
  let time = 0;
  let nextId = 0;
  for (const step of steps) {
    time += step.afterMicros;
    world.simulator.scheduleAt(time, EventTag.Control, () => {
      const now = world.simulator.nowMicros;
      if (step.kind === 'send') {
        const id = nextId++;
        const message = new Uint8Array(12);
        const view = new DataView(message.buffer);
        view.setUint32(0, id);
        view.setFloat64(4, now);
        sent.push({ id, from: ids[step.from]!, to: ids[step.to]!, sentAt: now });
        world.machine(ids[step.from]!).transport.send(ids[step.to]!, message);
        return;
      }
      if (step.kind === 'partition') {
        world.network.partition([step.cut.map((i) => ids[i]!)]);
        group = new Array(NODES).fill(0);
        for (const i of step.cut) group[i] = 1;
      } else if (step.kind === 'oneWay') {
        world.network.blockOneWay(step.from.map((i) => ids[i]!), step.to.map((i) => ids[i]!));
        for (const a of step.from) for (const b of step.to) if (a !== b) oneWay.add(`n${a}>n${b}`);
      } else {
        world.network.heal();
        group = new Array(NODES).fill(0);
        oneWay = new Set();
      }
      blockedAt.push({ at: now, blocked: snapshot() });
    });
  }
  world.simulator.run();
  const blockedWhen = (at: number, from: string, to: string) => {
    // The state in force at `at` is the last change at or before it.
    let state = blockedAt[0]!.blocked;
    for (const change of blockedAt) if (change.at <= at) state = change.blocked;
    return state.has(`${from}>${to}`);
  };
  return { deliveries, sent, blockedWhen, world };
}

const seedArbitrary = fc.integer({ min: 0, max: 1_000_000 });

describe('simulated network properties', () => {
  it('nothing is delivered before it was sent, and never before the minimum latency', () => {
    fc.assert(
      fc.property(seedArbitrary, fc.array(stepArbitrary, { maxLength: 60 }), (seed, steps) => {
        const { deliveries } = runSchedule(seed, steps, { latency: { kind: 'uniform', minMs: 0.2, maxMs: 5 }, reorder: true });
        for (const d of deliveries) expect(d.deliveredAt - d.sentAt).toBeGreaterThanOrEqual(200);
      }),
      { numRuns: 60 },
    );
  });

  it('nothing crosses an active partition (checked at send and at arrival)', () => {
    fc.assert(
      fc.property(seedArbitrary, fc.array(stepArbitrary, { maxLength: 80 }), (seed, steps) => {
        const { deliveries, blockedWhen } = runSchedule(seed, steps, { latency: { kind: 'lognormal', medianMs: 1, sigma: 1 } });
        for (const d of deliveries) {
          expect(blockedWhen(d.sentAt, d.from, d.to), `message ${d.id} sent across a partition`).toBe(false);
          expect(blockedWhen(d.deliveredAt, d.from, d.to), `message ${d.id} arrived across a partition`).toBe(false);
        }
      }),
      { numRuns: 80 },
    );
  });

  it('after a heal, with no loss, every message sent is delivered exactly once', () => {
    fc.assert(
      fc.property(seedArbitrary, fc.array(stepArbitrary, { maxLength: 40 }), fc.array(stepArbitrary.filter((s) => s.kind === 'send'), { minLength: 1, maxLength: 20 }), (seed, chaos, after) => {
        const steps: Step[] = [...chaos, { kind: 'heal', afterMicros: 100_000 }, ...after];
        const { deliveries, sent } = runSchedule(seed, steps, { latency: { kind: 'fixed', ms: 1 } });
        const sendsAfterHeal = sent.slice(sent.length - after.length);
        for (const message of sendsAfterHeal) {
          expect(deliveries.filter((d) => d.id === message.id)).toHaveLength(1);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('no duplicates and per-link FIFO unless duplication / reordering are enabled', () => {
    fc.assert(
      fc.property(seedArbitrary, fc.array(stepArbitrary, { maxLength: 80 }), (seed, steps) => {
        // Sends close together on few links, so a heavy latency tail would overtake if FIFO were not enforced.
        const dense = steps.map((step) => ({ ...step, afterMicros: step.afterMicros % 40 }));
        const { deliveries } = runSchedule(seed, dense, { latency: { kind: 'pareto', scaleMs: 0.1, shape: 1.2 } });
        const ids = deliveries.map((d) => d.id);
        expect(new Set(ids).size).toBe(ids.length);
        const lastOnLink = new Map<string, number>();
        for (const d of deliveries) {
          const link = `${d.from}>${d.to}`;
          expect(d.id).toBeGreaterThan(lastOnLink.get(link) ?? -1);
          lastOnLink.set(link, d.id);
        }
      }),
      { numRuns: 80 },
    );
  });

  it('duplication and reordering do happen when enabled', () => {
    const steps: Step[] = Array.from({ length: 400 }, (_, i) => ({ kind: 'send', from: i % NODES, to: (i + 1) % NODES, afterMicros: 50 }));
    const { deliveries } = runSchedule(3, steps, { latency: { kind: 'uniform', minMs: 0.1, maxMs: 10 }, duplicateProbability: 0.1, reorder: true });
    const ids = deliveries.map((d) => d.id);
    expect(ids.length - new Set(ids).size).toBeGreaterThan(10);
    let inversions = 0;
    const lastOnLink = new Map<string, number>();
    for (const d of deliveries) {
      const link = `${d.from}>${d.to}`;
      if (d.id < (lastOnLink.get(link) ?? -1)) inversions++;
      lastOnLink.set(link, Math.max(d.id, lastOnLink.get(link) ?? -1));
    }
    expect(inversions).toBeGreaterThan(10);
  });

  it('loss drops about the configured fraction, and messages to a crashed host are dropped', () => {
    const steps: Step[] = Array.from({ length: 2000 }, (_, i) => ({ kind: 'send', from: 0, to: 1 + (i % 3), afterMicros: 10 }));
    const { deliveries, world } = runSchedule(5, steps, { lossProbability: 0.2 });
    expect(deliveries.length / 2000).toBeGreaterThan(0.75);
    expect(deliveries.length / 2000).toBeLessThan(0.85);
    expect(world.network.counters.droppedLoss).toBe(2000 - deliveries.length);

    const crashWorld = new SimWorld(1);
    const a = crashWorld.addMachine('a');
    const b = crashWorld.addMachine('b');
    let received = 0;
    b.transport.onMessage(() => received++);
    a.transport.send('b', new Uint8Array([1]));
    crashWorld.crash('b');
    crashWorld.simulator.run();
    expect(received).toBe(0);
    expect(crashWorld.network.counters.droppedDeadHost).toBe(1);
  });

  it('rejects bad knobs with an error naming the knob', () => {
    const world = new SimWorld(1);
    world.addMachine('a');
    world.addMachine('b');
    expect(() => world.network.setDefaults({ lossProbability: 1.5 })).toThrow(/lossProbability/);
    expect(() => world.network.setLinkOverride('a', 'b', { latency: { kind: 'uniform', minMs: 5, maxMs: 1 } })).toThrow(/link a→b latency/);
    expect(() => world.network.partition([['a', 'zz']])).toThrow(/unknown node 'zz'/);
  });
});
