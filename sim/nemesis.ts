import type { NodeId, Random } from '../core/env';
import type { SimCluster } from './cluster';
import type { ScenarioFault } from './scenario/schema';
import { EventTag } from './simulator';

/**
 * The nemesis: plays a scenario's timed fault list against a simulated cluster — partitions (a fraction, random
 * halves, one node, explicit groups, one-way), heal, crash and restart (losing unsynced bytes), clock jumps and
 * drift changes, disk faults, loss bursts. Random choices (which nodes a "fraction" cuts off, which nodes a
 * "count" crashes) draw from the nemesis's own stream, so the same seed picks the same victims.
 *
 * It also keeps a log of what it did and the intervals during which any fault was active, for the run
 * summary's "availability during faults".
 */
export interface NemesisLogEntry {
  time: number;
  action: string;
}

export class Nemesis {
  readonly log: NemesisLogEntry[] = [];
  /** [start, end) intervals with at least one fault active (end = Infinity while open). */
  readonly faultWindows: { start: number; end: number }[] = [];
  private partitioned = false;
  private readonly crashed = new Set<NodeId>();
  private readonly diskFaulty = new Set<NodeId>();
  /** Loss bursts under way: overlapping ones each run their full length, the strongest setting the rate. */
  private lossBursts: { until: number; probability: number }[] = [];
  private baseLoss: number;
  lastHealMicros = 0;

  constructor(
    private readonly cluster: SimCluster,
    private readonly random: Random,
  ) {
    this.baseLoss = cluster.network.defaultConditions.lossProbability;
  }

  schedule(faults: readonly ScenarioFault[]): void {
    for (const fault of faults) {
      this.cluster.simulator.scheduleAt(fault.at, EventTag.Fault, () => this.apply(fault));
    }
  }

  /** Ends every fault: heal the network, restart crashed nodes, clear disk faults and loss. */
  healAll(): void {
    const anythingToHeal = this.activeFaults || this.cluster.network.partitioned;
    this.cluster.network.heal();
    this.partitioned = false;
    for (const id of [...this.crashed]) this.restart(id);
    for (const id of [...this.diskFaulty]) this.cluster.world.machine(id).disk.setFaults({});
    this.diskFaulty.clear();
    this.cluster.network.setDefaults({ lossProbability: this.baseLoss });
    this.lossBursts = [];
    if (anythingToHeal) {
      this.healedNow();
      this.note('heal everything still faulty (end of fault schedule)');
    }
  }

  get activeFaults(): boolean {
    return this.partitioned || this.crashed.size > 0 || this.diskFaulty.size > 0 || this.lossBursts.some((burst) => this.cluster.simulator.nowMicros < burst.until);
  }

  private apply(fault: ScenarioFault): void {
    const network = this.cluster.network;
    if (fault.partition !== undefined) {
      const p = fault.partition;
      if ('fraction' in p) {
        const members = this.members();
        const cut = this.pick(members, Math.max(1, Math.round(members.length * p.fraction)));
        network.partition([cut]);
        // The share actually cut, which rounding (at least one node) can make differ from the one asked for.
        this.note(`partition: ${cut.length} of ${members.length} nodes (${Math.round((cut.length / members.length) * 100)} %) cut off: ${preview(cut)}`);
      } else if ('halves' in p) {
        const members = this.members();
        const half = this.pick(members, Math.floor(members.length / 2));
        network.partition([half]);
        this.note(`partition: random halves (${half.length} | ${this.cluster.ids.length - half.length})`);
      } else if ('isolate' in p) {
        this.requireNodes([p.isolate]);
        network.partition([[p.isolate]]);
        this.note(`partition: isolate ${p.isolate}`);
      } else if ('groups' in p) {
        this.requireNodes(p.groups.flat());
        network.partition(p.groups);
        this.note(`partition: groups ${p.groups.map((g) => `[${preview(g)}]`).join(' ')}`);
      } else {
        this.requireNodes([...p.oneWay.from, ...p.oneWay.to]);
        network.blockOneWay(p.oneWay.from, p.oneWay.to);
        this.note(`partition: one-way ${preview(p.oneWay.from)} ↛ ${preview(p.oneWay.to)}`);
      }
      this.partitioned = true;
    } else if (fault.heal !== undefined) {
      network.heal();
      this.partitioned = false;
      this.healedNow();
      this.note('heal network');
    } else if (fault.crash !== undefined) {
      const up = this.members().filter((id) => !this.crashed.has(id));
      const victims = 'nodes' in fault.crash ? fault.crash.nodes
        : 'count' in fault.crash ? this.pick(up, Math.min(up.length, fault.crash.count))
        : this.pick(up, Math.max(1, Math.round(up.length * fault.crash.fraction)));
      this.requireNodes(victims);
      const mode = fault.mode ?? 'drop-unsynced';
      for (const id of victims) {
        this.cluster.crash(id, mode);
        this.crashed.add(id);
      }
      this.note(`crash ${victims.length} (${mode}): ${preview(victims)}`);
    } else if (fault.restart !== undefined) {
      const targets = fault.restart === 'all' ? [...this.crashed] : fault.restart.nodes;
      this.requireNodes(targets);
      for (const id of targets) if (this.crashed.has(id)) this.restart(id);
      // Bringing nodes back is healing too: convergence is timed from the last fault that ended.
      this.healedNow();
      this.note(`restart ${preview(targets)}`);
    } else if (fault.clock !== undefined) {
      this.requireNodes(fault.clock.nodes);
      for (const id of fault.clock.nodes) {
        const clock = this.cluster.world.machine(id).clock;
        if (fault.clock.jumpMs !== undefined) clock.jump(Math.round(fault.clock.jumpMs * 1000));
        if (fault.clock.driftPpm !== undefined) clock.setDriftPpm(fault.clock.driftPpm);
      }
      this.note(`clock ${preview(fault.clock.nodes)}: ${fault.clock.jumpMs !== undefined ? `jump ${fault.clock.jumpMs} ms ` : ''}${fault.clock.driftPpm !== undefined ? `drift ${fault.clock.driftPpm} ppm` : ''}`);
    } else if (fault.disk !== undefined) {
      const { nodes, ...knobs } = fault.disk;
      this.requireNodes(nodes);
      const active = Object.values(knobs).some((v) => v > 0);
      for (const id of nodes) {
        this.cluster.world.machine(id).disk.setFaults(knobs);
        if (active) this.diskFaulty.add(id);
        else if (this.diskFaulty.delete(id)) this.healedNow(); // a disk fault cleared is a heal
      }
      this.note(`disk faults on ${preview(nodes)}: ${JSON.stringify(knobs)}`);
    } else if (fault.loss !== undefined) {
      // A burst that ends restores the strongest burst still running, not the base rate (a short burst inside a
      // long one used to end both; found by a review).
      const burst = { until: this.cluster.simulator.nowMicros + fault.loss.for, probability: fault.loss.probability };
      this.lossBursts.push(burst);
      const apply = (): void => {
        const rate = this.lossBursts.reduce((max, b) => Math.max(max, b.probability), this.lossBursts.length > 0 ? 0 : this.baseLoss);
        network.setDefaults({ lossProbability: rate });
      };
      apply();
      this.cluster.simulator.scheduleAt(burst.until, EventTag.Fault, () => {
        const index = this.lossBursts.indexOf(burst);
        if (index < 0) return; // cleared by the final heal
        this.lossBursts.splice(index, 1);
        apply();
        // A burst that ended is a fault that healed: convergence is timed from the last one (a review found a
        // run with only a loss burst judged from t = 0).
        this.healedNow();
        this.note(this.lossBursts.length === 0 ? 'loss burst over' : `loss burst over (${this.lossBursts.length} still running)`);
        this.updateWindow();
      });
      this.note(`loss burst: ${fault.loss.probability * 100} % for ${fault.loss.for / 1e6} s`);
    } else if (fault.join !== undefined) {
      // Membership changes are not faults (no fault window): the cluster must stay fully available through them.
      // Which nodes are up depends on earlier random picks (a crash by count), so a change the cluster cannot
      // make at that moment is logged and skipped rather than ending the run.
      this.requireNodes([fault.join.node]);
      try {
        const seed = this.cluster.join(fault.join.node);
        this.note(`join ${fault.join.node} (seed ${seed})`);
      } catch (error) {
        this.note(`join ${fault.join.node} skipped: ${(error as Error).message}`);
      }
    } else if (fault.leave !== undefined) {
      this.requireNodes([fault.leave.node]);
      try {
        this.cluster.leave(fault.leave.node);
        this.note(`leave ${fault.leave.node}`);
      } catch (error) {
        this.note(`leave ${fault.leave.node} skipped: ${(error as Error).message}`);
      }
    }
    this.updateWindow();
  }

  /** A fault ended: convergence is timed from the last one that did. */
  private healedNow(): void {
    this.lastHealMicros = this.cluster.simulator.nowMicros;
  }

  private restart(id: NodeId): void {
    this.cluster.restart(id);
    this.crashed.delete(id);
  }

  private updateWindow(): void {
    const now = this.cluster.simulator.nowMicros;
    const open = this.faultWindows.at(-1);
    const isOpen = open !== undefined && open.end === Number.POSITIVE_INFINITY;
    if (this.activeFaults && !isOpen) this.faultWindows.push({ start: now, end: Number.POSITIVE_INFINITY });
    if (!this.activeFaults && isOpen) open.end = now;
  }

  /** Closes an open fault window (at the end of the fault schedule). */
  closeWindows(): void {
    this.updateWindow();
    const open = this.faultWindows.at(-1);
    if (open !== undefined && open.end === Number.POSITIVE_INFINITY) open.end = this.cluster.simulator.nowMicros;
  }

  /**
   * The ring's members, in id order: what a random partition or crash picks from. Spare machines that have not
   * joined carry nothing, so cutting one off or crashing one is not a fault of the cluster (and a spare crashed
   * by count could not join later; found by a review). Without spares this is every node, as before.
   */
  private members(): NodeId[] {
    const members = new Set(this.cluster.ringMembers());
    return this.cluster.ids.filter((id) => members.has(id));
  }

  private pick(from: readonly NodeId[], count: number): NodeId[] {
    const pool = [...from];
    for (let i = pool.length - 1; i > 0; i--) {
      const j = this.random.int(i + 1);
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    return pool.slice(0, count);
  }

  private requireNodes(ids: readonly NodeId[]): void {
    for (const id of ids) {
      if (!this.cluster.ids.includes(id)) {
        throw new Error(`fault names unknown node '${id}' (this cluster has ${this.cluster.ids[0]}..${this.cluster.ids.at(-1)})`);
      }
    }
  }

  private note(action: string): void {
    this.log.push({ time: this.cluster.simulator.nowMicros, action });
  }
}

function preview(ids: readonly string[]): string {
  return ids.length <= 6 ? ids.join(', ') : `${ids.slice(0, 6).join(', ')}, … (${ids.length})`;
}
