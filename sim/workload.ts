import type { Random } from '../core/env';
import type { ReadResult, WriteResult } from '../core/node';
import type { SimCluster } from './cluster';
import type { HistoryRecorder } from './history';
import { KeyChooser, type KeyDistribution } from './key-chooser';
import type { Scenario } from './scenario/schema';
import { EventTag } from './simulator';
import { Slab } from '../core/slab';

/**
 * The client workload: an open-loop stream of operations at a fixed rate (arrivals are a Poisson process in
 * simulated time), served by a fixed pool of client processes. Each process runs one operation at a time, as
 * in Jepsen; an arrival that finds every process busy is shed and counted (that is what overload looks like
 * from the client's side, and it keeps the history well-formed).
 *
 * Every write carries a value unique in the run — `p<process>-<n>` plus padding to the drawn size — so the
 * history names exactly which writes each read saw. A read-modify-write first reads the key (recorded as its
 * own get) and passes the causal context back with the write; the write's `context` in the history lists the
 * values it supersedes.
 *
 * **The same workload across variants.** Everything about a request — when it arrives, its key, its kind,
 * whether it reads first, its value size — is drawn when it arrives, in arrival order, whether or not a
 * client is free to take it. So two runs from one seed issue the same requests at the same times whatever
 * the store does with them (`sim compare` sets variants side by side on that basis); only which client
 * process serves a request, and so through which node, follows from which processes are busy. (Before, the
 * value size of a read-modify-write was drawn when its read came back, and a shed arrival drew nothing, so
 * one store's timing reshuffled every later request of the other's.)
 */

/** One client request: a get, or a write with its optional read first; availability counts these. */
interface Request {
  /** When it arrived, µs: availability windows attribute a request by when it was asked, not answered. */
  arrivedAtMicros: number;
  key: string;
  valueBytes: number;
}

export interface WorkloadFigures {
  arrivals: number;
  shed: number;
  operations: number;
  /** Completion latency samples per operation type, µs (ok completions only). */
  latencyMicros: Record<'get' | 'put' | 'delete' | 'cas', number[]>;
  /** Completed history operations (`operations`, a read-modify-write is two) that were ok. */
  ok: number;
  /**
   * Per client request — a read-modify-write or cas counts once — when it arrived and whether the store
   * answered it: ok, or a definite refusal such as a cas conflict (the store was there to say no). A request
   * that failed, timed out with an unknown outcome, or was shed because every client was still waiting on the
   * store counts as not served. For availability during and outside fault windows.
   */
  requests: { time: number; key: string; served: boolean }[];
  /** The final read phase's reads (one per written key, R = N), kept out of the figures above. */
  finalReads: { ok: number; fail: number };
  /** Completions whose outcome is unknown ('info'). */
  info: number;
}

interface ClientProcess {
  id: number;
  busy: boolean;
  written: number;
  /** The operation this process waits on: since when, and how to give up on it (see guard). */
  pending: { startedAtMicros: number; abandon: () => void } | null;
}

export class Workload {
  private readonly processes: ClientProcess[];
  private readonly keys: KeyChooser;
  /** Gaps between arrivals; each request's own draws come from `random`, all at its arrival. */
  private readonly arrivals: Random;
  private readonly mix: { get: number; put: number; delete: number; cas: number };
  private stopped = false;
  private nextProcess = 0;
  readonly figures: WorkloadFigures = { arrivals: 0, shed: 0, operations: 0, latencyMicros: { get: [], put: [], delete: [], cas: [] }, ok: 0, requests: [], info: 0, finalReads: { ok: 0, fail: 0 } };
  /** Keys written at least once, in the order first written (the final read phase, convergence samples). */
  private readonly touchedList: string[] = [];
  /** Per written key: writes in flight, and when the last one ended (µs) — whether its replicas may still be catching up. */
  private readonly writeActivity = new Map<string, { inFlight: number; lastEndedAtMicros: number }>();

  /** Keys that were written at least once, in the order first written. */
  get touchedKeys(): readonly string[] {
    return this.touchedList;
  }

  constructor(
    private readonly cluster: SimCluster,
    private readonly spec: Scenario['workload'],
    private readonly random: Random,
    private readonly history: HistoryRecorder,
    private readonly stopAtMicros: number,
    /** How long a client waits for an answer before it gives up (see guard); well past every store deadline. */
    private readonly clientDeadlineMicros = 10_000_000,
    /**
     * How long a final read waits for the key's owners (see doGet): at least 2 s whatever the scenario's request
     * timeout, which may be below its links' round trips (a fuzzer found 0–200 ms links with a 100 ms timeout:
     * not one of 1037 final R = N reads completed, so nothing was judged or repaired).
     */
    private readonly finalReadTimeoutMicros = 2_000_000,
  ) {
    this.processes = Array.from({ length: spec.clients }, (_, id) => ({ id, busy: false, written: 0, pending: null }));
    const distribution: KeyDistribution =
      spec.distribution === 'zipf' ? { kind: 'zipf', keys: spec.keys, exponent: spec.zipfExponent }
      : spec.distribution === 'hot' ? { kind: 'hot', keys: spec.keys, hotFraction: spec.hotFraction }
      : { kind: 'uniform', keys: spec.keys };
    this.keys = new KeyChooser(distribution, random.fork('keys'));
    this.arrivals = random.fork('arrivals');
    this.mix = spec.mix;
    if (spec.valueBytes.min > spec.valueBytes.max) throw new RangeError('workload.valueBytes: min must not exceed max');
  }

  start(): void {
    this.scheduleArrival();
    this.cluster.simulator.schedule(1_000_000, EventTag.Workload, () => this.sweep());
  }

  /**
   * A request whose coordinator crashed mid-way is never answered: without a deadline its client stayed busy
   * for the rest of the run, the request was missing from the availability figures, and a write left its key
   * "in flight" for ever, so convergence never sampled it (found by a review). Once a second, a client that
   * has waited past its deadline gives up: a read fails, a write's outcome is unknown ('info'), as a real
   * client's timeout would have it. Stops once the workload has stopped and nothing is pending.
   */
  private sweep(): void {
    const now = this.cluster.simulator.nowMicros;
    let pending = false;
    for (const process of this.processes) {
      const waiting = process.pending;
      if (waiting === null) continue;
      if (now - waiting.startedAtMicros >= this.clientDeadlineMicros) waiting.abandon();
      else pending = true;
    }
    if (!this.stopped || pending) this.cluster.simulator.schedule(1_000_000, EventTag.Workload, () => this.sweep());
  }

  /** `finish`, called once: with the store's answer, or with `abandoned` when the client gives up (sweep). */
  private guard<T>(process: ClientProcess, finish: (result: T) => void, abandoned: () => T): (result: T) => void {
    let over = false;
    const once = (result: T): void => {
      if (over) return;
      over = true;
      if (process.pending?.abandon === abandon) process.pending = null;
      finish(result);
    };
    const abandon = (): void => once(abandoned());
    process.pending = { startedAtMicros: this.cluster.simulator.nowMicros, abandon };
    return once;
  }

  private noAnswer(): string {
    return this.runEnded
      ? 'no answer by the end of the run (its coordinator crashed?); the client gave up'
      : `no answer within ${this.clientDeadlineMicros / 1e6} s (its coordinator crashed?); the client gave up`;
  }

  private runEnded = false;

  /**
   * At the end of the run every client still waiting gives up: a read fails, a write's outcome is unknown
   * ('info'). The client deadline can be longer than the quiescence, and a request left waiting was missing
   * from the figures (availability counted 355 of 356 arrivals) and left an invoke with no completion at the
   * end of history.jsonl (found by a review).
   */
  abandonPending(): void {
    this.runEnded = true;
    for (const process of this.processes) process.pending?.abandon();
  }

  stop(): void {
    this.stopped = true;
  }

  private scheduleArrival(): void {
    const meanGapMicros = 1_000_000 / this.spec.rate;
    const gap = -Math.log(1 - this.arrivals.next()) * meanGapMicros;
    const simulator = this.cluster.simulator;
    if (simulator.nowMicros + gap >= this.stopAtMicros) return;
    simulator.schedule(gap, EventTag.Workload, () => {
      if (this.stopped) return;
      this.arrive();
      this.scheduleArrival();
    });
  }

  private arrive(): void {
    this.figures.arrivals++;
    // Drawn for every arrival, before a client is looked for (see the file comment).
    const key = `k${this.keys.next()}`;
    const roll = this.random.next();
    const readFirst = this.random.next() < this.spec.readModifyWrite;
    const request: Request = { arrivedAtMicros: this.cluster.simulator.nowMicros, key, valueBytes: this.valueSize() };
    const process = this.idleProcess();
    if (process === undefined) {
      this.figures.shed++;
      this.figures.requests.push({ time: request.arrivedAtMicros, key, served: false });
      return;
    }
    const { get, put, delete: del } = this.mix;
    process.busy = true;
    if (roll < get) {
      this.doGet(process, key, false, (read) => {
        this.settle(request, read !== undefined);
        this.release(process);
      });
    } else if (roll < get + put) this.doWrite(process, key, 'put', readFirst, request);
    else if (roll < get + put + del) this.doWrite(process, key, 'delete', readFirst, request);
    else this.doCas(process, key, request);
  }

  private noteWriteStart(key: string): void {
    const activity = this.writeActivity.get(key);
    if (activity === undefined) {
      this.writeActivity.set(key, { inFlight: 1, lastEndedAtMicros: -1 });
      this.touchedList.push(key);
    } else activity.inFlight++;
  }

  /**
   * Up to `count` written keys spread evenly over all of them (every stride-th, from an offset that moves with
   * `round`), leaving out keys with a write in flight or one that ended less than `settleMicros` ago: their
   * replicas may still be receiving it (with W < N the last replica's copy lands after the acknowledgement),
   * which is not divergence for anything to repair. Convergence samples these.
   */
  settledSample(count: number, nowMicros: number, settleMicros: number, round: number): string[] {
    const list = this.touchedList;
    const out: string[] = [];
    for (const i of spreadIndexes(list.length, count, round)) {
      const key = list[i]!;
      if (this.isSettled(key, nowMicros, settleMicros)) out.push(key);
    }
    return out;
  }

  /** No write of `key` in flight, and the last one ended at least `settleMicros` ago (see settledSample). */
  isSettled(key: string, nowMicros: number, settleMicros: number): boolean {
    const activity = this.writeActivity.get(key);
    return activity === undefined || (activity.inFlight === 0 && nowMicros - activity.lastEndedAtMicros >= settleMicros);
  }

  /** A client request is over: answered (or definitely refused) or not. */
  private settle(request: Request, served: boolean): void {
    this.figures.requests.push({ time: request.arrivedAtMicros, key: request.key, served });
  }

  private idleProcess(): ClientProcess | undefined {
    for (let i = 0; i < this.processes.length; i++) {
      const candidate = this.processes[(this.nextProcess + i) % this.processes.length]!;
      if (!candidate.busy) {
        this.nextProcess = (this.nextProcess + i + 1) % this.processes.length;
        return candidate;
      }
    }
    return undefined;
  }

  private release(process: ClientProcess): void {
    process.busy = false;
  }

  /** The node a process talks to: its own, or the next one up if that is down (a client-side failover). */
  private via(process: ClientProcess): string | undefined {
    const ids = this.cluster.ids;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[(process.id + i) % ids.length]!;
      if (this.cluster.isUp(id)) return id;
    }
    return undefined;
  }

  /** Reads `key`; `then` gets the values read (ids), the context and etag, or undefined if the read failed. */
  doGet(process: ClientProcess, key: string, final: boolean, then: (read?: { ids: string[]; result: ReadResult }) => void, r?: number): void {
    const simulator = this.cluster.simulator;
    const start = simulator.nowMicros;
    const via = this.via(process);
    this.history.record({ process: process.id, type: 'invoke', f: 'get', key, value: null, time: start, ...(final ? { final } : {}) });
    const finish = (result: ReadResult) => {
      const now = simulator.nowMicros;
      // The final read phase is the checkers' measurement, at R = N after the run: counted apart, so it does
      // not add reads the workload never made to the operation, latency and availability figures.
      if (final) this.figures.finalReads[result.status === 'ok' ? 'ok' : 'fail']++;
      else {
        this.figures.operations++;
        if (result.status === 'ok') {
          this.figures.ok++;
          this.figures.latencyMicros.get.push(now - start);
        }
      }
      if (result.status === 'ok') {
        const ids = result.values.map(valueId).sort();
        this.history.record({ process: process.id, type: 'ok', f: 'get', key, value: ids, time: now, ...(via ? { node: via } : {}), ...(final ? { final } : {}) });
        then({ ids, result });
      } else {
        this.history.record({ process: process.id, type: 'fail', f: 'get', key, value: null, time: now, error: result.error, ...(via ? { node: via } : {}), ...(final ? { final } : {}) });
        then(undefined);
      }
    };
    if (via === undefined) {
      simulator.schedule(0, EventTag.Workload, () => finish({ status: 'fail', values: [], context: new Uint8Array(0), etag: '', replies: 0, error: 'no node is up', code: 'unavailable' }));
      return;
    }
    // A final read asks the key's owners only (StorageNode.get, ownersOnly): it measures what they hold, and waits
    // finalReadTimeoutMicros for them.
    const finalOptions = final ? { ownersOnly: true, timeoutMicros: this.finalReadTimeoutMicros } : {};
    this.cluster.get(via, key, { ...(r === undefined ? {} : { r }), ...finalOptions }, this.guard<ReadResult>(process, finish, () => ({ status: 'fail', values: [], context: new Uint8Array(0), etag: '', replies: 0, error: this.noAnswer(), code: 'unavailable' })));
  }

  private doWrite(process: ClientProcess, key: string, f: 'put' | 'delete', readFirst: boolean, request: Request): void {
    if (readFirst) {
      this.doGet(process, key, false, (read) => {
        if (read === undefined) {
          this.settle(request, false);
          return this.release(process);
        }
        this.write(process, key, f, read.ids, read.result.context, request);
      });
    } else {
      this.write(process, key, f, [], new Uint8Array(0), request);
    }
  }

  private write(process: ClientProcess, key: string, f: 'put' | 'delete', supersedes: string[], context: Uint8Array, request: Request): void {
    const simulator = this.cluster.simulator;
    const start = simulator.nowMicros;
    const id = `p${process.id}-${++process.written}`;
    const via = this.via(process);
    this.noteWriteStart(key);
    this.history.record({ process: process.id, type: 'invoke', f, key, value: f === 'put' ? id : null, time: start, context: supersedes });
    const finish = (result: WriteResult) => this.completeWrite(process, f, key, f === 'put' ? id : null, start, via, result, request);
    if (via === undefined) return this.unavailable(finish);
    const guarded = this.guard(process, finish, () => this.abandonedWrite());
    if (f === 'put') this.cluster.put(via, key, this.payload(id, request.valueBytes), { context }, guarded);
    else this.cluster.delete(via, key, { context }, guarded);
  }

  private doCas(process: ClientProcess, key: string, request: Request): void {
    this.doGet(process, key, false, (read) => {
      if (read === undefined) {
        this.settle(request, false);
        return this.release(process);
      }
      if (read.ids.length > 1) {
        // A cas against siblings has no single expected value; resolve them with a plain write instead.
        this.write(process, key, 'put', read.ids, read.result.context, request);
        return;
      }
      const simulator = this.cluster.simulator;
      const start = simulator.nowMicros;
      const id = `p${process.id}-${++process.written}`;
      const via = this.via(process);
      this.noteWriteStart(key);
      const expected = read.ids[0] ?? null;
      this.history.record({ process: process.id, type: 'invoke', f: 'cas', key, value: id, time: start, context: read.ids, expected });
      const finish = (result: WriteResult) => this.completeWrite(process, 'cas', key, id, start, via, result, request);
      if (via === undefined) return this.unavailable(finish);
      this.cluster.cas(via, key, this.payloadString(id, request.valueBytes), read.result.etag, { context: read.result.context }, this.guard(process, finish, () => this.abandonedWrite()));
    });
  }

  private completeWrite(process: ClientProcess, f: 'put' | 'delete' | 'cas', key: string, value: string | null, start: number, via: string | undefined, result: WriteResult, request: Request): void {
    const now = this.cluster.simulator.nowMicros;
    this.figures.operations++;
    if (result.status === 'ok') this.figures.ok++;
    const activity = this.writeActivity.get(key);
    if (activity !== undefined) {
      activity.inFlight--;
      activity.lastEndedAtMicros = now;
    }
    // A cas conflict is the store answering "no, the value changed": served, not unavailable.
    this.settle(request, result.status === 'ok' || result.code === 'conflict');
    if (result.status === 'ok') this.figures.latencyMicros[f].push(now - start);
    if (result.status === 'info') this.figures.info++;
    this.history.record({
      process: process.id, type: result.status, f, key, value, time: now,
      ...(via ? { node: via } : {}), ...(result.status !== 'ok' ? { error: result.error } : {}),
    });
    this.release(process);
  }

  private abandonedWrite(): WriteResult {
    return { status: 'info', context: new Uint8Array(0), acks: 0, error: this.noAnswer(), code: 'quorum' };
  }

  private unavailable(finish: (result: WriteResult) => void): void {
    this.cluster.simulator.schedule(0, EventTag.Workload, () => finish({ status: 'fail', context: new Uint8Array(0), acks: 0, error: 'no node is up', code: 'unavailable' }));
  }

  /** The bytes of `payloadString(id, size)`, written directly: ids (`p3-17`) are ASCII. */
  private payload(id: string, size: number): Uint8Array {
    const length = id.length;
    // From a shared chunk: a node keeps a client's value only as long as the request lasts (it stores its own
    // encoding), so one ArrayBuffer per 256 KiB of payloads instead of one per put.
    const out = payloadSlab.allocate(size > length + 1 ? size : length);
    for (let i = 0; i < length; i++) out[i] = id.charCodeAt(i);
    if (size > length + 1) {
      out[length] = 0x7c; // '|'
      out.fill(0x78, length + 1); // 'x'
    }
    return out;
  }

  private payloadString(id: string, size: number): string {
    return size > id.length + 1 ? `${id}|${'x'.repeat(size - id.length - 1)}` : id;
  }

  /** One draw of a value's size from the workload's range. */
  private valueSize(): number {
    const { min, max } = this.spec.valueBytes;
    return min + this.random.int(max - min + 1);
  }

  /** A process for the final read phase (reads run one per process at a time, like any other). */
  finalReader(index: number): ClientProcess {
    return { id: this.processes.length + index, busy: true, written: 0, pending: null };
  }
}

/**
 * Up to `count` indexes spread over [0, length), shifted by `round` so that every index's turn comes: a
 * fractional stride (with a whole one, 300–599 keys gave stride 1 and only the first 300 were ever sampled).
 */
export function spreadIndexes(length: number, count: number, round: number): number[] {
  const stride = Math.max(1, length / count);
  const shift = ((round * 0.618033988749895) % 1) * stride;
  const out: number[] = [];
  for (let j = 0; j < count; j++) {
    const i = Math.floor(j * stride + shift);
    if (i >= length) break;
    out.push(i);
  }
  return out;
}

const decoder = new TextDecoder();
const payloadSlab = new Slab();

/** The unique id at the front of a workload value (`p3-17|xxxx…` → `p3-17`). */
export function valueId(value: Uint8Array): string {
  // Workload values are ASCII: read the id up to '|' directly (one per value read, for every get).
  const end = Math.min(value.length, 40);
  let ascii = '';
  let i = 0;
  for (; i < end; i++) {
    const c = value[i]!;
    if (c === 0x7c) return ascii;
    if (c >= 0x80) break;
    ascii += String.fromCharCode(c);
  }
  if (i === end) return ascii;
  const text = decoder.decode(value.length > 40 ? value.subarray(0, 40) : value);
  const bar = text.indexOf('|');
  return bar === -1 ? text : text.slice(0, bar);
}
