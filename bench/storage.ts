/**
 * bench:storage — dynalab's LSM engine on the real file disk versus classic-level (LevelDB) in the same run,
 * same machine, same workload: 1 KiB values, 64 concurrent writers, the same durability setting.
 *
 *   (a) durable puts   — acknowledged after fsync (dynalab syncWrites: true; LevelDB { sync: true })
 *   (b) unsynced puts  — acknowledged after the write reaches the page cache; loads BENCH_KEYS keys
 *   (c) random gets    — over the BENCH_KEYS keys after a full compaction (64 concurrent for LevelDB's async get)
 *   (d) prefix scans   — 100 keys each
 * then write amplification of size-tiered vs leveled compaction on the same overwrite-heavy load.
 *
 *   npm run bench:storage                         (BENCH_KEYS=1000000 by default)
 *   BENCH_KEYS=200000 npm run bench:storage       (quick run)
 *
 * Both stores get a 64 MiB memtable/write buffer and an 8 MiB block cache. Temp dirs under os.tmpdir() are
 * removed at the end.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { StorageEngine, type StorageOptions } from '../core/storage';
import { liveData, spaceAmplificationOf } from '../core/storage/stats';
import { FileDisk } from '../real/file-disk';
import { WallClock } from '../real/wall-clock';
import { nativeCrc32 } from '../real/native-crc32';

const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);
const DURABLE_OPS = Number(process.env.BENCH_DURABLE ?? 50_000);
const GETS = Number(process.env.BENCH_GETS ?? 500_000);
const SCANS = Number(process.env.BENCH_SCANS ?? 5_000);
const WA_OPS = Number(process.env.BENCH_WA_OPS ?? 600_000);
const CONCURRENCY = 64;
const VALUE_BYTES = 1024;
const MiB = 1024 * 1024;

const value = new Uint8Array(VALUE_BYTES);
for (let i = 0; i < VALUE_BYTES; i++) value[i] = (i * 31 + 7) & 0xff;

/** One encoder for the whole run: building one per key was harness time inside every timed operation. */
const encoder = new TextEncoder();

/** Key i of a space of n keys, in a scrambled order (7919 is coprime with the sizes used): random inserts. */
function keyOf(i: number, n: number): Uint8Array {
  const k = (i * 7919 + 13) % n;
  return encoder.encode(`user:${String(k).padStart(8, '0')}`);
}

let seed = 42;
function random(n: number): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed % n;
}

type Issue = (i: number, done: (error: Error | null) => void) => void;

/**
 * Runs `total` operations from `concurrency` writers, each issuing its next op when the previous is acked.
 * Callbacks that complete synchronously (dynalab's unsynced puts) are trampolined instead of recursing.
 */
function runConcurrent(total: number, concurrency: number, issue: Issue): Promise<number> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let completed = 0;
    const start = performance.now();
    const worker = (): void => {
      while (next < total) {
        const i = next++;
        let inline = true;
        let finishedInline = false;
        issue(i, (error) => {
          if (error !== null) return reject(error);
          completed++;
          if (completed === total) resolve((performance.now() - start) / 1000);
          if (inline) finishedInline = true;
          else worker();
        });
        inline = false;
        if (!finishedInline) return;
      }
    };
    for (let w = 0; w < concurrency; w++) worker();
  });
}

const call = (start: (done: (error: Error | null) => void) => void): Promise<void> =>
  new Promise((resolve, reject) => start((error) => (error === null ? resolve() : reject(error))));

function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `dynalab-bench-${label}-`));
}

interface Store {
  put: Issue;
  get(key: Uint8Array): Promise<Uint8Array | undefined> | Uint8Array | undefined;
  scanCount(prefix: Uint8Array): Promise<number> | number;
  compact(): Promise<void>;
  close(): Promise<void>;
}

function openDynalab(dir: string, options: Partial<StorageOptions>): { store: Store; engine: StorageEngine } {
  const disk = new FileDisk(dir);
  const clock = new WallClock();
  // soon = setImmediate: unsynced puts of one event-loop turn share one WAL append (acked after it).
  const engine = StorageEngine.open({ disk, clock, soon: setImmediate, crc32: nativeCrc32, options: { memtableBytes: 64 * MiB, blockCacheBytes: 8 * MiB, ...options } });
  const store: Store = {
    put: (i, done) => engine.put(keyOf(i, KEYS), value, undefined, done),
    get: (key) => engine.get(key),
    scanCount: (prefix) => engine.scan({ prefix }).length,
    compact: () => call((done) => engine.compact(done)).then(() => call((done) => engine.waitForIdle(done))),
    close: async () => {
      await call((done) => engine.close(done));
      clock.cancelAll();
      disk.close();
    },
  };
  return { store, engine };
}

let levelDb!: ClassicLevel<Uint8Array, Uint8Array>;

async function openLevel(dir: string, sync: boolean): Promise<Store> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(dir, {
    keyEncoding: 'view',
    valueEncoding: 'view',
    writeBufferSize: 64 * MiB,
    cacheSize: 8 * MiB,
  });
  await db.open();
  levelDb = db;
  return {
    put: (i, done) => {
      db.put(keyOf(i, KEYS), value, { sync }).then(() => done(null), (error: Error) => done(error));
    },
    get: (key) => db.get(key),
    scanCount: async (prefix) => {
      const end = prefix.slice();
      end[end.length - 1]!++;
      const entries = await db.iterator({ gte: prefix, lt: end }).all();
      return entries.length;
    },
    compact: () => db.compactRange(encoder.encode('user:'), encoder.encode('user;')),
    close: () => db.close(),
  };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const results: { what: string; dynalab: number; level: number }[] = [];

function report(what: string, dynalab: number, level: number): void {
  results.push({ what, dynalab, level });
  console.log(`${what.padEnd(34)} dynalab ${fmt(dynalab).padStart(10)} ops/s   classic-level ${fmt(level).padStart(10)} ops/s   ratio ${(dynalab / level).toFixed(2)}×`);
}

async function timeGets(store: Store, gets: number, concurrency: number): Promise<number> {
  seed = 7;
  let misses = 0;
  const seconds = await runConcurrent(gets, concurrency, (_, done) => {
    const result = store.get(keyOf(random(KEYS), KEYS));
    if (result instanceof Promise) {
      result.then((v) => {
        if (v === undefined) misses++;
        done(null);
      }, done);
    } else {
      if (result === undefined) misses++;
      done(null);
    }
  });
  if (misses > 0) throw new Error(`${misses} gets found nothing — the load is incomplete`);
  return gets / seconds;
}

async function timeScans(store: Store): Promise<number> {
  seed = 9;
  let keys = 0;
  const seconds = await runConcurrent(SCANS, 1, (_, done) => {
    const prefix = encoder.encode(`user:${String(random(Math.floor(KEYS / 100))).padStart(6, '0')}`);
    const count = store.scanCount(prefix);
    if (count instanceof Promise) count.then((c) => ((keys += c), done(null)), done);
    else {
      keys += count;
      done(null);
    }
  });
  if (keys !== SCANS * 100) throw new Error(`scans returned ${keys} keys, expected ${SCANS * 100}`);
  return SCANS / seconds;
}

async function main(): Promise<void> {
  console.log(`bench:storage — ${KEYS.toLocaleString('en-US')} keys, ${VALUE_BYTES} B values, ${CONCURRENCY} concurrent writers, node ${process.version}, ${os.cpus().length} CPUs`);
  const dirs: string[] = [];
  // The engine's background work runs on WallClock timers, which are unref'd; keep the process alive.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    // (a) durable puts
    {
      const dDir = tempDir('durable-dynalab');
      const lDir = tempDir('durable-level');
      dirs.push(dDir, lDir);
      const { store: d, engine } = openDynalab(dDir, { syncWrites: true });
      const dRate = DURABLE_OPS / (await runConcurrent(DURABLE_OPS, CONCURRENCY, d.put));
      const perSync = engine.stats().writesPerSync;
      await d.close();
      const l = await openLevel(lDir, true);
      const lRate = DURABLE_OPS / (await runConcurrent(DURABLE_OPS, CONCURRENCY, l.put));
      await l.close();
      report(`(a) durable puts (${fmt(DURABLE_OPS)})`, dRate, lRate);
      console.log(`    dynalab group commit: ${perSync.toFixed(1)} writes per fsync`);
    }
    // (b) unsynced puts — the load for (c) and (d)
    const dDir = tempDir('load-dynalab');
    const lDir = tempDir('load-level');
    dirs.push(dDir, lDir);
    const { store: d, engine } = openDynalab(dDir, { syncWrites: false });
    const dLoad = KEYS / (await runConcurrent(KEYS, CONCURRENCY, d.put));
    const l = await openLevel(lDir, false);
    const lLoad = KEYS / (await runConcurrent(KEYS, CONCURRENCY, l.put));
    report(`(b) unsynced puts (${fmt(KEYS)})`, dLoad, lLoad);

    let t = performance.now();
    await d.compact();
    const dCompact = (performance.now() - t) / 1000;
    t = performance.now();
    await l.compact();
    const lCompact = (performance.now() - t) / 1000;
    const s = engine.stats();
    console.log(`    full compaction: dynalab ${dCompact.toFixed(1)} s, classic-level ${lCompact.toFixed(1)} s; dynalab levels ${JSON.stringify(s.bytesPerLevel.map((b) => `${(b / MiB).toFixed(0)} MiB`))}`);

    // (c) random gets
    const dGets = await timeGets(d, GETS, CONCURRENCY);
    const lGets = await timeGets(l, GETS, CONCURRENCY);
    report(`(c) random gets (${fmt(GETS)})`, dGets, lGets);
    // Context, not the reference: LevelDB's synchronous get on the main thread, like dynalab's get.
    const lSyncGets = await timeGets({ ...l, get: (key) => levelDb.getSync(key) }, GETS, 1);
    console.log(`    classic-level getSync (one thread, like dynalab's get): ${fmt(lSyncGets)} ops/s; dynalab ratio to it ${(dGets / lSyncGets).toFixed(2)}×`);
    const after = engine.stats();
    console.log(`    dynalab read amplification ${after.readAmplification.toFixed(2)} tables/get, block cache hit rate ${(after.blockCache.hits / Math.max(1, after.blockCache.hits + after.blockCache.misses) * 100).toFixed(1)} %`);

    // (d) prefix scans
    const dScans = await timeScans(d);
    const lScans = await timeScans(l);
    report(`(d) prefix scans, 100 keys (${fmt(SCANS)})`, dScans, lScans);
    await d.close();
    await l.close();

    // Write amplification: tiered vs leveled, same overwrite-heavy load (random keys over a space of KEYS/4).
    console.log(`write amplification, ${fmt(WA_OPS)} puts of 1 KiB over ${fmt(Math.floor(WA_OPS / 3))} keys, 4 MiB memtable (flush + compaction bytes ÷ user bytes; WAL excluded):`);
    for (const strategy of ['size-tiered', 'leveled'] as const) {
      const dir = tempDir(`wa-${strategy}`);
      dirs.push(dir);
      const disk = new FileDisk(dir);
      const clock = new WallClock();
      const wa = StorageEngine.open({ disk, clock, soon: setImmediate, crc32: nativeCrc32, options: { compaction: strategy, memtableBytes: 4 * MiB, syncWrites: false } });
      seed = 11;
      const space = Math.floor(WA_OPS / 3);
      await runConcurrent(WA_OPS, CONCURRENCY, (_, done) => wa.put(keyOf(random(space), space), value, undefined, done));
      await call((done) => wa.flush(done));
      await call((done) => wa.waitForIdle(done));
      const st = wa.stats();
      // Space amplification against the live data, counted by a scan (core/storage/stats.ts, liveData): the
      // engine's own estimate (÷ the largest run) overstates size-tiered, whose live keys are spread over runs.
      const live = liveData(wa);
      console.log(
        `    ${strategy.padEnd(12)} write amp ${st.tableWriteAmplification.toFixed(2)}× (with WAL ${st.writeAmplification.toFixed(2)}×), space amp ${spaceAmplificationOf(st.tableBytes, live.bytes).toFixed(2)}× of ${(live.bytes / MiB).toFixed(0)} MiB live, ${st.compactions} compactions, levels ${JSON.stringify(st.bytesPerLevel.map((b) => `${(b / MiB).toFixed(0)} MiB`))}`,
      );
      await call((done) => wa.close(done));
      clock.cancelAll();
      disk.close();
    }
    const target = (name: string, ratio: number, goal: number): string => `${name} ${ratio.toFixed(2)}× (target ≥ ${goal}×) ${ratio >= goal ? 'met' : 'NOT met'}`;
    const r = (i: number): number => results[i]!.dynalab / results[i]!.level;
    console.log(`targets: ${target('durable', r(0), 5)}; ${target('unsynced', r(1), 1)}; ${target('gets', r(2), 1)}`);
  } finally {
    clearInterval(keepAlive);
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
