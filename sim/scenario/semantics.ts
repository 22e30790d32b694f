import type { Scenario, ScenarioFault } from './schema';

/** The parts of a scenario these checks read (so they can run while other parts still have schema errors). */
export const SEMANTIC_SECTIONS = ['duration', 'quiescence', 'cluster', 'clocks', 'workload', 'faults'] as const;
export type ScenarioCore = Pick<Scenario, (typeof SEMANTIC_SECTIONS)[number]>;

/**
 * The checks a scenario needs beyond its shape: those that compare one field with another (the workload must
 * stop inside the run, faults must fall before it stops, faults must name nodes the cluster has, a join must
 * name a spare machine, …). The loader runs them after the schema and reports them like schema errors (file,
 * line, column, field), so a scenario that would fail once running is refused before anything runs;
 * `runScenario` and `sim compare` run them too, for scenarios built in code or changed by a variant.
 */
export interface ScenarioProblem {
  /** The field, e.g. ['faults', 2, 'at']. */
  path: (string | number)[];
  message: string;
  /** Where to point instead when `path` is not written in the file (a defaulted field). */
  orAt?: (string | number)[];
}

const seconds = (micros: number) => `${micros / 1e6} s`;

/** When the client load stops and every fault is healed: `workload.stopAt`, else duration − quiescence. */
export function workloadStopAt(scenario: ScenarioCore): number {
  return scenario.workload.stopAt ?? scenario.duration - scenario.quiescence;
}

/** One line naming a fault's action, e.g. "partition", "join n5". */
function faultAction(fault: ScenarioFault): string {
  if (fault.join !== undefined) return `join ${fault.join.node}`;
  if (fault.leave !== undefined) return `leave ${fault.leave.node}`;
  for (const action of ['partition', 'heal', 'crash', 'restart', 'clock', 'disk', 'loss'] as const) if (fault[action] !== undefined) return action;
  return 'fault';
}

export function scenarioProblems(scenario: ScenarioCore & { checks?: Scenario['checks'] }): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const { duration, quiescence } = scenario;
  const c = scenario.cluster;

  // The convergence threshold defaults to the quiescence: at 0 s every run would fail it as the load stops (a
  // review found `quiescence: 0s` accepted, then "beyond the 0 µs threshold").
  const convergence = scenario.checks?.find((check) => check === 'convergence' || (typeof check === 'object' && 'convergence' in check));
  const threshold = typeof convergence === 'object' ? convergence.convergence?.['thresholdMicros'] : undefined;
  if (quiescence === 0 && convergence !== undefined && threshold === undefined) {
    problems.push({ path: ['quiescence'], orAt: ['checks'], message: 'quiescence 0 s leaves the replicas no time to agree, and the convergence check\'s threshold defaults to it: give a quiescence (e.g. 5s) or convergence.thresholdMicros' });
  }

  // The run's timeline: the workload and the faults happen in [0, stopAt).
  const stopAt = workloadStopAt(scenario);
  let windowOk = true;
  if (duration <= 0) {
    problems.push({ path: ['duration'], message: 'duration must be more than 0' });
    windowOk = false;
  } else if (scenario.workload.stopAt !== undefined) {
    if (!(stopAt > 0 && stopAt <= duration)) {
      problems.push({ path: ['workload', 'stopAt'], message: `the workload must stop within the run: 0 s < stopAt ≤ duration (${seconds(duration)}), got ${seconds(stopAt)}` });
      windowOk = false;
    }
  } else if (quiescence >= duration) {
    problems.push({
      path: ['quiescence'],
      orAt: ['duration'],
      message: `quiescence (${seconds(quiescence)}) must be shorter than duration (${seconds(duration)}): the workload runs from 0 until duration − quiescence`,
    });
    windowOk = false;
  }
  if (windowOk) {
    const window = scenario.workload.stopAt !== undefined ? `workload.stopAt` : `duration ${seconds(duration)} − quiescence ${seconds(quiescence)}`;
    scenario.faults.forEach((fault, i) => {
      if (fault.at >= stopAt) {
        problems.push({
          path: ['faults', i, 'at'],
          message: `fault ${i} (${faultAction(fault)} at ${seconds(fault.at)}) would never happen: faults run in [0 s, ${seconds(stopAt)}) — at ${seconds(stopAt)} (${window}) the workload stops and every fault is healed`,
        });
      }
    });
  }

  // Node names: n0..n<nodes + spareNodes − 1>.
  const total = c.nodes + c.spareNodes;
  const known = (id: string) => /^n(0|[1-9]\d*)$/.test(id) && Number(id.slice(1)) < total;
  const unknown = (path: (string | number)[], id: string) => {
    if (!known(id)) problems.push({ path, message: `unknown node '${id}' (nodes are n0..n${total - 1})` });
  };
  const list = (path: (string | number)[], ids: readonly string[]) => ids.forEach((id, j) => unknown([...path, j], id));
  scenario.faults.forEach((fault, i) => {
    const at = ['faults', i];
    const p = fault.partition;
    if (p !== undefined) {
      if ('isolate' in p) unknown([...at, 'partition', 'isolate'], p.isolate);
      if ('groups' in p) p.groups.forEach((group, g) => list([...at, 'partition', 'groups', g], group));
      if ('oneWay' in p) {
        list([...at, 'partition', 'oneWay', 'from'], p.oneWay.from);
        list([...at, 'partition', 'oneWay', 'to'], p.oneWay.to);
        // A node cut off from itself cuts nothing (a review: n1 → n1 was accepted and did nothing).
        const both = p.oneWay.from.filter((id) => p.oneWay.to.includes(id));
        if (both.length > 0) problems.push({ path: [...at, 'partition', 'oneWay', 'to'], message: `${both.join(', ')} ${both.length === 1 ? 'is' : 'are'} on both sides of the one-way cut; a node always reaches itself` });
      }
    }
    if (fault.crash !== undefined && 'count' in fault.crash && fault.crash.count > c.nodes) {
      problems.push({ path: [...at, 'crash', 'count'], message: `crash count ${fault.crash.count} is more than the ${c.nodes} nodes (a review found it quietly crashing them all)` });
    }
    if (fault.clock !== undefined && fault.clock.jumpMs === undefined && fault.clock.driftPpm === undefined) {
      problems.push({ path: [...at, 'clock'], message: 'a clock fault needs jumpMs, driftPpm or both; this one changes nothing' });
    }
    if (fault.crash !== undefined && 'nodes' in fault.crash) list([...at, 'crash', 'nodes'], fault.crash.nodes);
    if (fault.restart !== undefined && fault.restart !== 'all') list([...at, 'restart', 'nodes'], fault.restart.nodes);
    if (fault.clock !== undefined) list([...at, 'clock', 'nodes'], fault.clock.nodes);
    if (fault.disk !== undefined) list([...at, 'disk', 'nodes'], fault.disk.nodes);
    if (fault.join !== undefined) unknown([...at, 'join', 'node'], fault.join.node);
    if (fault.leave !== undefined) unknown([...at, 'leave', 'node'], fault.leave.node);
  });
  for (const id of Object.keys(scenario.clocks.nodes)) unknown(['clocks', 'nodes', id], id);

  problems.push(...membershipProblems(scenario, known));
  return problems;
}

/**
 * Joins and leaves, played in time order against who is a ring member: a join names a spare machine that has
 * not joined yet, a leave names a current member, and neither names a node an earlier fault crashed by name
 * and nothing restarted. (Crashes by count or fraction pick their victims at run time and are not judged.)
 *
 * A join counts as done at once: so a leave of a node that joins earlier in the scenario is accepted however
 * soon after the join it comes. Decided after a review found such a leave refused at run time (the node was
 * still joining), only logged, and the run passed without it: how long a join takes — the settle wait, the
 * copy, the catch-up pass — is known only at run time (it grows with the data and with faults), so no gap this
 * check could demand would be right. The nemesis instead makes the leave once the join has finished
 * (sim/nemesis.ts, leave()), and the `membership` check judges both changes; a join that never finishes fails
 * that check, with the leave still waiting behind it.
 */
function membershipProblems(scenario: ScenarioCore, known: (id: string) => boolean): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const c = scenario.cluster;
  const changes = scenario.faults.some((f) => f.join !== undefined || f.leave !== undefined);
  if (!changes) return problems;
  if (c.ringGossipInterval === 0) {
    problems.push({ path: ['cluster', 'ringGossipInterval'], message: 'join and leave faults need ring gossip: set ringGossipInterval above 0, or leave it out (1s)' });
  }
  const spares = c.spareNodes === 0 ? 'there are no spare machines (set cluster.spareNodes)' : `the spare machines are n${c.nodes}..n${c.nodes + c.spareNodes - 1}`;
  const members = new Set(Array.from({ length: c.nodes }, (_, i) => `n${i}`));
  const joined = new Map<string, number>();
  const left = new Map<string, number>();
  const down = new Map<string, number>();
  const order = scenario.faults.map((fault, index) => ({ fault, index })).sort((a, b) => a.fault.at - b.fault.at || a.index - b.index);
  for (const { fault, index } of order) {
    const when = `at ${seconds(fault.at)}`;
    if (fault.crash !== undefined && 'nodes' in fault.crash) for (const id of fault.crash.nodes) down.set(id, index);
    if (fault.restart === 'all') down.clear();
    else if (fault.restart !== undefined) for (const id of fault.restart.nodes) down.delete(id);
    const target = fault.join?.node ?? fault.leave?.node;
    if (target === undefined || !known(target)) continue;
    const path = ['faults', index, fault.join !== undefined ? 'join' : 'leave', 'node'];
    const crashedBy = down.get(target);
    if (crashedBy !== undefined) {
      problems.push({ path, message: `${target} is down ${when} (crashed by faults.${crashedBy}, not restarted)` });
      continue;
    }
    if (fault.join !== undefined) {
      const earlier = joined.get(target);
      if (earlier !== undefined) problems.push({ path, message: `${target} already joins at faults.${earlier}` });
      else if (left.has(target)) problems.push({ path, message: `${target} left at faults.${left.get(target)}; a node that left cannot join again` });
      else if (members.has(target)) problems.push({ path, message: `${target} is already a ring member (cluster.nodes: ${c.nodes} makes n0..n${c.nodes - 1} members); join names a spare machine: ${spares}` });
      else {
        joined.set(target, index);
        members.add(target);
      }
    } else {
      const earlier = left.get(target);
      if (earlier !== undefined) problems.push({ path, message: `${target} already leaves at faults.${earlier}` });
      else if (!members.has(target)) problems.push({ path, message: `${target} is not a ring member ${when}: it is a spare machine that has not joined` });
      else if (members.size - 1 < c.n) {
        // N distinct replicas per key need N members; below that, preference lists come up short and every
        // write at W = N (and every read at R = N, the final reads among them) fails for want of owners.
        problems.push({ path, message: `${target} leaving ${when} would leave ${members.size - 1} ring members, fewer than n = ${c.n} replicas per key` });
      } else {
        left.set(target, index);
        members.delete(target);
      }
    }
  }
  return problems;
}
