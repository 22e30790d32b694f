import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLevels } from '../../../core/storage/version';
import type { StorageEngine } from '../../../core/storage';
import { dec, enc, smallOptions, World } from './world';

/**
 * Model-based test: random sequences of writes, reads, scans, flushes, compactions, time advances and
 * crash-and-reopen on the simulated disk, checked against a plain Map.
 *
 * Reads and crashes are judged by the same rule: for each key the engine must show the value of the last
 * *acknowledged* write to it or of a later unacknowledged one — never an older one, never an invented one.
 * (Before its ack a write may still be queued behind a memtable stall, or, after a crash, may or may not have
 * reached the disk.) Once everything is acknowledged that leaves exactly one allowed value. Values carry a
 * unique counter so the surviving write can be identified after a crash and the model resynchronised.
 */
type Op =
  | { kind: 'put'; key: number; ttl: number | null }
  | { kind: 'delete'; key: number }
  | { kind: 'batch'; keys: number[]; deletes: boolean[] }
  | { kind: 'get'; key: number }
  | { kind: 'scan'; prefix: number }
  | { kind: 'settle' }
  | { kind: 'flush' }
  | { kind: 'compact' }
  | { kind: 'advance'; micros: number }
  | { kind: 'crash'; events: number; tear: boolean };

interface Write {
  readonly value: string | undefined; // undefined: delete
  readonly expiresAt: number; // 0: never
  acked: boolean;
}

const KEYS = 48;
const keyName = (k: number): string => `key-${String(k).padStart(3, '0')}`;

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ kind: fc.constant('put' as const), key: fc.nat(KEYS - 1), ttl: fc.option(fc.integer({ min: 1, max: 20_000 }), { freq: 5 }) }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.nat(KEYS - 1) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('batch' as const), keys: fc.array(fc.nat(KEYS - 1), { minLength: 1, maxLength: 6 }), deletes: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }) }) },
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('get' as const), key: fc.nat(KEYS - 1) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('scan' as const), prefix: fc.nat(5) }) },
  { weight: 8, arbitrary: fc.constant({ kind: 'settle' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'compact' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), micros: fc.integer({ min: 1, max: 15_000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('crash' as const), events: fc.nat(40), tear: fc.boolean() }) },
);

/**
 * `unsynced`: syncWrites false with coalesced WAL appends. An ack then means "in the page cache", so the
 * crashes are process crashes (the machine keeps every appended byte) and every acknowledged write must survive.
 */
function runModel(strategy: 'leveled' | 'size-tiered', seed: number, ops: Op[], unsynced = false, soonHook = unsynced): void {
  const world = new World(seed);
  // Half the runs with no tombstone grace, so tombstones are dropped as early as the engine dares.
  const options = smallOptions(strategy, { tombstoneGraceMicros: seed % 2 === 0 ? 0 : 5_000, ...(unsynced ? { syncWrites: false } : {}) });
  let engine: StorageEngine = world.open(options, soonHook);
  const history = new Map<number, Write[]>();
  let counter = 0;
  const now = (): number => world.sim.nowMicros;

  const visible = (w: Write | undefined): string | undefined =>
    w === undefined || w.value === undefined || (w.expiresAt !== 0 && w.expiresAt <= now()) ? undefined : w.value;
  const current = (key: number): string | undefined => {
    const writes = history.get(key);
    return visible(writes?.[writes.length - 1]);
  };
  const allowed = (key: number): { writes: Write[]; values: (string | undefined)[] } => {
    const writes = history.get(key) ?? [];
    let lastAcked = -1;
    writes.forEach((w, i) => {
      if (w.acked) lastAcked = i;
    });
    const candidates = writes.slice(Math.max(0, lastAcked));
    const values = candidates.map(visible);
    if (lastAcked < 0) values.push(undefined); // nothing acknowledged: the key may be absent
    return { writes: candidates, values };
  };
  const record = (key: number, value: string | undefined, ttl: number | null): Write => {
    const write: Write = { value, expiresAt: ttl === null ? 0 : now() + ttl, acked: false };
    const list = history.get(key) ?? [];
    list.push(write);
    history.set(key, list);
    return write;
  };
  const ackAll = (writes: Write[]) => (error: Error | null) => {
    if (error !== null) throw new Error(`write failed: ${error.message} (seed ${seed})`);
    for (const w of writes) w.acked = true;
  };

  for (const op of ops) {
    switch (op.kind) {
      case 'put': {
        const value = `v${counter++}-${'x'.repeat(counter % 37)}`;
        const w = record(op.key, value, op.ttl);
        engine.put(enc(keyName(op.key)), enc(value), op.ttl === null ? undefined : { ttlMicros: op.ttl }, ackAll([w]));
        break;
      }
      case 'delete': {
        const w = record(op.key, undefined, null);
        engine.delete(enc(keyName(op.key)), ackAll([w]));
        break;
      }
      case 'batch': {
        // One batch may touch a key twice: the later op wins, as in the engine (higher sequence number).
        const writes: Write[] = [];
        const batch = op.keys.map((key, i) => {
          const isDelete = op.deletes[i] ?? false;
          const value = isDelete ? undefined : `b${counter++}`;
          writes.push(record(key, value, null));
          return isDelete
            ? ({ type: 'delete', key: enc(keyName(key)) } as const)
            : ({ type: 'put', key: enc(keyName(key)), value: enc(value!) } as const);
        });
        engine.writeBatch(batch, ackAll(writes));
        break;
      }
      case 'get': {
        const got = dec(engine.get(enc(keyName(op.key))));
        expect(allowed(op.key).values, `get ${keyName(op.key)} = ${got} (seed ${seed})`).toContain(got);
        // The copy-free reads agree with get.
        expect(dec(engine.getView(enc(keyName(op.key)))), `getView ${keyName(op.key)} (seed ${seed})`).toBe(got);
        expect(engine.has(enc(keyName(op.key))), `has ${keyName(op.key)} (seed ${seed})`).toBe(got !== undefined);
        break;
      }
      case 'scan': {
        const prefix = `key-0${op.prefix}`;
        const got = engine.scan({ prefix: enc(prefix) }).map((kv) => [dec(kv.key)!, dec(kv.value)!] as const);
        const keys = got.map(([k]) => k);
        expect([...keys].sort(), `scan ${prefix} is ordered (seed ${seed})`).toEqual(keys);
        const seen = new Map(got);
        for (let k = 0; k < KEYS; k++) {
          if (!keyName(k).startsWith(prefix)) continue;
          expect(allowed(k).values, `scan ${prefix}: ${keyName(k)} = ${seen.get(keyName(k))} (seed ${seed})`).toContain(seen.get(keyName(k)));
        }
        expect(got.every(([k]) => k.startsWith(prefix))).toBe(true);
        break;
      }
      case 'settle':
        world.sim.run();
        break;
      case 'flush':
        world.await((done) => engine.flush(done));
        break;
      case 'compact':
        world.await((done) => engine.compact(done));
        checkLevels(engine.tableSet(), strategy);
        break;
      case 'advance':
        world.sim.run({ untilMicros: now() + op.micros });
        break;
      case 'crash': {
        world.sim.run({ maxEvents: op.events });
        if (unsynced) world.processCrash();
        else world.crash(op.tear ? 'tear-unsynced' : 'drop-unsynced');
        engine = world.open(options, soonHook);
        for (let k = 0; k < KEYS; k++) {
          if (!history.has(k)) continue;
          const got = dec(engine.get(enc(keyName(k))));
          const { writes, values } = allowed(k);
          expect(values, `after crash, ${keyName(k)} = ${got} (seed ${seed})`).toContain(got);
          // Resynchronise the model on the write that survived.
          const survivor = writes.find((w) => visible(w) === got && got !== undefined);
          history.set(k, [survivor !== undefined ? { ...survivor, acked: true } : { value: undefined, expiresAt: 0, acked: true }]);
        }
        break;
      }
    }
  }
  // Finally: everything settles, a full compaction keeps every live key, and a clean reopen agrees.
  world.await((done) => engine.compact(done));
  checkLevels(engine.tableSet(), strategy);
  const final = (): string[] => engine.scan({ prefix: enc('key-') }).map((kv) => `${dec(kv.key)}=${dec(kv.value)}`);
  const want = (): string[] => {
    const live: string[] = [];
    for (let k = 0; k < KEYS; k++) {
      const v = current(k);
      if (v !== undefined) live.push(`${keyName(k)}=${v}`);
    }
    return live;
  };
  expect(final(), `final scan (seed ${seed})`).toEqual(want());
  world.await((done) => engine.close(done));
  engine = world.open(options, soonHook);
  // Recomputed: closing takes virtual time (a last fsync), during which TTL'd values may expire.
  expect(final(), `after clean reopen (seed ${seed})`).toEqual(want());
}

const runs = process.env.DYNALAB_LONG ? 1000 : 150;
/**
 * fast-check keeps arrays small by default (most runs drew 20–50 operations); the long run asks for the full
 * range, so crashes land among longer histories with more flushes and compactions behind them.
 */
const opsShape = { minLength: 20, maxLength: 250, ...(process.env.DYNALAB_LONG ? { size: 'max' as const } : {}) };

describe('group commit with a soon hook', () => {
  it('durable writes made in one turn share one fsync; without the hook the first starts its own', () => {
    for (const soon of [true, false]) {
      const world = new World(77);
      const engine = world.open({ syncWrites: true }, soon);
      let acked = 0;
      world.await((done) => {
        for (let i = 0; i < 10; i++) {
          engine.put(new TextEncoder().encode(`k${i}`), new TextEncoder().encode('v'), undefined, (error) => {
            if (error !== null) return done(error);
            if (++acked === 10) done(null);
          });
        }
      });
      expect(engine.stats().walSyncs, `soon ${soon}`).toBe(soon ? 1 : 2);
    }
  });
});

describe('group commit after an fsync completes', () => {
  it('with the soon hook, writes made in the completing turn share the next fsync instead of queueing for two', () => {
    const world = new World(78);
    const engine = world.open({ syncWrites: true }, true);
    const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
    world.await((done) => {
      engine.put(enc('k0'), enc('v'), undefined, (error) => {
        if (error !== null) return done(error);
        // Acknowledged: one write now, another from a later callback of the same turn (another socket read).
        let acked = 0;
        const ack = (e: Error | null): void => (e !== null ? done(e) : ++acked === 2 ? done(null) : undefined);
        engine.put(enc('k1'), enc('v'), undefined, ack);
        world.clock.setTimer(0, () => engine.put(enc('k2'), enc('v'), undefined, ack));
      });
    });
    expect(engine.stats().walSyncs).toBe(2); // k0 alone, then k1 and k2 together (three before the change)
  });
});

describe.each(['leveled', 'size-tiered'] as const)('storage engine vs Map model (%s)', (strategy) => {
  it('agrees on every read, keeps every acknowledged write across crashes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.array(opArbitrary, opsShape), (seed, ops) => {
        runModel(strategy, seed, ops);
      }),
      { numRuns: runs, verbose: 1 },
    );
  });

  it('durable writes whose fsyncs start at the end of the turn (soon hook): every acknowledged write survives power loss', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.array(opArbitrary, opsShape), (seed, ops) => {
        runModel(strategy, seed, ops, false, true);
      }),
      { numRuns: Math.ceil(runs / 3), verbose: 1 },
    );
  });

  it('unsynced writes with coalesced WAL appends: every acknowledged write survives a process crash', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.array(opArbitrary, opsShape), (seed, ops) => {
        runModel(strategy, seed, ops, true);
      }),
      { numRuns: Math.ceil(runs / 3), verbose: 1 },
    );
  });
});
