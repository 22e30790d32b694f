import type { NodeEnvironment, NodeId } from '../core/env';
import { SimClock } from './clock';
import { SimDisk, type CrashMode, type SimDiskOptions } from './disk';
import { FaultyDisk, type DiskFaultOptions } from './faulty-disk';
import { SimHost } from './host';
import { SimNetwork, type LinkConditions, type SimTransport } from './network';
import { SeededRandom } from './random';
import { Simulator } from './simulator';

/**
 * A simulated world: one kernel, one network, and for each machine the four things a node is built from —
 * clock, random stream, disk, transport. The simulator and real mode differ only in what they pass to a
 * node; this is the simulator's side of that seam.
 *
 * Random streams are derived by path from the run seed: "seed/net", "seed/node:n3", "seed/node:n3/disk",
 * so adding a node or a draw in one place never shifts another's sequence.
 */
export interface MachineOptions {
  clockOffsetMicros?: number;
  clockDriftPpm?: number;
  disk?: SimDiskOptions;
  diskFaults?: DiskFaultOptions;
}

export interface Machine {
  readonly id: NodeId;
  readonly host: SimHost;
  readonly clock: SimClock;
  readonly rawDisk: SimDisk;
  readonly disk: FaultyDisk;
  readonly transport: SimTransport;
  readonly random: SeededRandom;
  /** The environment a core node is built from. A fresh random stream per incarnation keeps restarts deterministic. */
  environment(): NodeEnvironment;
}

export class SimWorld {
  readonly simulator: Simulator;
  readonly network: SimNetwork;
  private readonly machines: Machine[] = [];
  private readonly byId = new Map<NodeId, Machine>();

  constructor(readonly seed: number | string, network: Partial<LinkConditions> = {}) {
    this.simulator = new Simulator(seed);
    this.network = new SimNetwork(this.simulator, this.simulator.random.fork('net'), network);
  }

  addMachine(id: NodeId, options: MachineOptions = {}): Machine {
    if (this.byId.has(id)) throw new Error(`machine '${id}' already exists`);
    const host = new SimHost(id, this.machines.length);
    const random = this.simulator.random.fork(`node:${id}`);
    const clockOptions: { offsetMicros?: number; driftPpm?: number } = {};
    if (options.clockOffsetMicros !== undefined) clockOptions.offsetMicros = options.clockOffsetMicros;
    if (options.clockDriftPpm !== undefined) clockOptions.driftPpm = options.clockDriftPpm;
    const clock = new SimClock(this.simulator, host, clockOptions);
    const rawDisk = new SimDisk(this.simulator, host, random.fork('disk'), options.disk);
    const disk = new FaultyDisk(rawDisk, random.fork('disk-faults'), options.diskFaults);
    const transport = this.network.attach(host);
    const machine: Machine = {
      id,
      host,
      clock,
      rawDisk,
      disk,
      transport,
      random,
      environment: () => ({ clock, disk, transport, random: random.fork(`incarnation:${host.incarnation}`) }),
    };
    this.machines.push(machine);
    this.byId.set(id, machine);
    return machine;
  }

  machine(id: NodeId): Machine {
    const machine = this.byId.get(id);
    if (machine === undefined) throw new Error(`unknown machine '${id}'`);
    return machine;
  }

  get all(): readonly Machine[] {
    return this.machines;
  }

  /** Kills the process and cuts the power: timers, in-flight fsyncs and messages to it are lost. */
  crash(id: NodeId, mode: CrashMode = 'drop-unsynced'): void {
    const machine = this.machine(id);
    if (!machine.host.alive) return;
    machine.host.crash();
    this.network.clearHandler(machine.host);
    machine.clock.cancelAll();
    machine.rawDisk.crash(mode);
  }

  /** Brings the machine back; the caller builds a fresh node from `machine.environment()`. */
  restart(id: NodeId): Machine {
    const machine = this.machine(id);
    machine.host.restart();
    return machine;
  }
}
