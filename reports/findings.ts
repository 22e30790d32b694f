/**
 * "What this means" — one short reading per report section, computed from the model and the measurements.
 *
 * Every sentence here is chosen by comparing numbers (utilisation above or below 1, model within or outside
 * the measured figure, a target met or not), so changing an input changes the reading; none is fixed prose.
 */
import type { CapacityModel } from './capacity-model';
import type { Measured } from './measured';
import { formatValue, grouped, sig } from './units';

const pct = (fraction: number): string => `${sig(fraction * 100)} %`;
const times = (ratio: number): string => `${sig(ratio)}×`;

/** How a measured figure sits against the model's: "within 3 %", "12 % above". */
export function versus(measured: number, model: number): string {
  if (model === 0) return measured === 0 ? 'equal to it' : 'above it';
  const gap = measured / model - 1;
  if (Math.abs(gap) < 0.05) return `within ${sig(Math.max(Math.abs(gap) * 100, 0.1), 2)} % of it`;
  return `${sig(Math.abs(gap) * 100, 2)} % ${gap > 0 ? 'above' : 'below'} it`;
}

export function storageFinding(model: CapacityModel, measured: Measured): string[] {
  const { storage, inputs } = model;
  const chosen = measured.ring.byVnodes.find((p) => p.vnodes === inputs.vnodes);
  const lines = [
    `Each of the ${grouped(inputs.nodes)} nodes stores ${formatValue(storage.perNode.value, 'bytes')} on average; adding one node moves about ${formatValue(storage.raw.value / (inputs.nodes + 1), 'bytes')} to it, in ${inputs.vnodes} pieces of ~${formatValue(storage.perVnode.value, 'bytes')}.`,
  ];
  if (chosen !== undefined && measured.ring.nodes === inputs.nodes) {
    lines.push(
      `Averages hide the ring's spread: at ${inputs.vnodes} vnodes the fullest node holds ${times(chosen.maxReplicaLoad)} its fair share of replica ranges, so size disks for ${formatValue(storage.perNode.value * chosen.maxReplicaLoad, 'bytes')}, not ${formatValue(storage.perNode.value, 'bytes')}.`,
    );
  }
  return lines;
}

export function trafficFinding(model: CapacityModel): string[] {
  const t = model.traffic;
  const days = t.daysToRewriteData.value;
  const lines = [
    `At peak every node coordinates ${formatValue(t.readsPerNode.value, 'ops/s')} reads and ${formatValue(t.writesPerNode.value, 'ops/s')} writes, and as a replica serves ${formatValue(t.replicaReadsPerNode.value, 'ops/s')} reads (R=${model.inputs.readQuorum}) and applies ${formatValue(t.replicaWritesPerNode.value, 'ops/s')} writes (all N=${model.inputs.replicas} copies).`,
  ];
  if (Number.isFinite(days)) {
    lines.push(
      days < 30
        ? `At the average rate the write stream equals the whole data set every ${sig(days)} days: most writes overwrite live keys, so compaction is reclaiming space all the time, not just sorting it.`
        : `At the average rate it takes ${sig(days)} days to write as many bytes as the data set holds: the store mostly grows, and compaction mostly sorts.`,
    );
  }
  return lines;
}

export function lsmFinding(model: CapacityModel): string[] {
  const { lsm, traffic, inputs } = model;
  const u = lsm.utilisation.value;
  if (u > 1) {
    return [
      `${formatValue(traffic.replicaWritesPerNode.value, 'ops/s')} replica writes per node is ${pct(u)} of the ${formatValue(inputs.nodeWritesPerSec, 'ops/s')} one LSM node absorbs. ${grouped(inputs.nodes)} nodes carry ${formatValue(inputs.peakWritesPerSec, 'ops/s')} writes only if that per-node figure counts client writes (${formatValue(inputs.peakWritesPerSec, 'ops/s')} ÷ ${grouped(inputs.nodes)} = ${formatValue(traffic.writesPerNode.value, 'ops/s')}); counting each of the N=${inputs.replicas} copies, the write load needs ${lsm.nodesForWrites.value.toLocaleString('en-US')} nodes, or nodes that each absorb ${formatValue(traffic.replicaWritesPerNode.value, 'ops/s')}.`,
    ];
  }
  return [
    `${formatValue(traffic.replicaWritesPerNode.value, 'ops/s')} replica writes per node is ${pct(u)} of the ${formatValue(inputs.nodeWritesPerSec, 'ops/s')} an LSM node absorbs: ${times(1 / Math.max(u, 1e-12))} headroom at peak, with all N copies counted. The write load alone would need ${lsm.nodesForWrites.value.toLocaleString('en-US')} nodes.`,
  ];
}

export function bloomFinding(model: CapacityModel, measured: Measured): string[] {
  const { bloom, inputs } = model;
  const chosen = measured.bloom.chosen;
  const engine = measured.compaction.strategies.filter((s) => s.engineBloomProbes > 0);
  const engineText = engine.length > 0
    ? `; inside the LSM engine, gets of absent keys passed the filter ${engine.map((s) => `${pct(s.engineBloomFalsePositiveRate)} (${s.strategy})`).join(' and ')} of the time`
    : '';
  const lines = [
    `At ${sig(inputs.bloomBitsPerKey)} bits/key the blocked-filter formula gives ${pct(bloom.falsePositive.value)} false positives (an unblocked filter: ${pct(bloom.falsePositiveUnblocked.value)}) and the filter measured ${pct(chosen.measured)}, ${versus(chosen.measured, bloom.falsePositive.value)}${engineText}. A get for a missing key therefore reads a block from about ${sig(chosen.measured * 100, 2)} of every 100 tables it consults.`,
    `Memory: ${formatValue(bloom.perNode.value, 'bytes')} per node for every key it holds (${formatValue(bloom.perNodePrimary.value, 'bytes')} if only its primary keys are counted${Math.abs(bloom.perNodePrimary.value - 250e6) < 1e6 ? ' — that is the seeds\' 250 MB' : ''}); ${formatValue(bloom.cluster.value, 'bytes')} across the cluster.`,
  ];
  return lines;
}

export function compactionFinding(model: CapacityModel, measured: Measured): string[] {
  const byName = new Map(measured.compaction.strategies.map((s) => [s.strategy, s]));
  const tiered = byName.get('size-tiered');
  const leveled = byName.get('leveled');
  if (tiered === undefined || leveled === undefined) return [];
  const ingest = model.traffic.replicaWritesPerNode.value * model.inputs.valueBytes;
  const disk = (wa: number): string => formatValue(ingest * (1 + wa), 'bytes/s');
  return [
    `The engine measured ${times(tiered.tableWriteAmplification)} for size-tiered (seed: ${times(model.inputs.writeAmpSizeTiered)}, ${versus(tiered.tableWriteAmplification, model.inputs.writeAmpSizeTiered)}) and ${times(leveled.tableWriteAmplification)} for leveled (seed: ${times(model.inputs.writeAmpLeveled)}, ${versus(leveled.tableWriteAmplification, model.inputs.writeAmpLeveled)}). Leveled writes ${times(leveled.tableWriteAmplification / tiered.tableWriteAmplification)} as many bytes and in return keeps space amplification at ${times(leveled.spaceAmplification)} against size-tiered's ${times(tiered.spaceAmplification)}.`,
    `With the measured factors, a node's disk absorbs ${disk(leveled.tableWriteAmplification)} at peak under leveled and ${disk(tiered.tableWriteAmplification)} under size-tiered (WAL included) — for ${formatValue(ingest, 'bytes/s')} of replica writes.`,
  ];
}

export function networkFinding(model: CapacityModel): string[] {
  const n = model.network;
  const perNode = n.replicationPerNode.value + n.readFanInPerNode.value;
  return [
    `Per node at peak: ${formatValue(n.replicationPerNode.value, 'bytes/s')} of replica copies in and ${formatValue(n.readFanInPerNode.value, 'bytes/s')} of read replies out, ${formatValue(perNode, 'bytes/s')} (${sig((perNode * 8) / 1e9)} Gbit/s) before client traffic; reads are ${times(n.readFanInCluster.value / Math.max(n.replicationCluster.value, 1e-12))} the replication bytes, so R moves the network bill more than N does.`,
  ];
}

export function ringFinding(model: CapacityModel, measured: Measured): string[] {
  const v = model.inputs.vnodes;
  const chosen = measured.ring.byVnodes.find((p) => p.vnodes === v);
  const first = measured.ring.byVnodes[0];
  const third = measured.ring.strategies.find((s) => s.kind === 'equal-partitions');
  if (chosen === undefined || first === undefined) return [];
  const lines = [
    `At ${v} vnodes the measured spread of primary ownership is ${sig(chosen.primaryStddevPercent)} % of the mean (model 100 ÷ √${v} = ${sig(chosen.expectedPercent)} %, measured ${versus(chosen.primaryStddevPercent, chosen.expectedPercent)}); with 1 vnode it is ${sig(first.primaryStddevPercent)} %. The seeds' "under 10 %" ${chosen.primaryStddevPercent < 10 ? 'holds' : 'does not hold'} here.`,
  ];
  if (third !== undefined) {
    lines.push(
      `Strategy 3 (equal partitions dealt out evenly) brings the spread to ${sig(third.primaryStddevPercent, 2)} % of primary and ${sig(third.replicaStddevPercent, 2)} % of replica ranges — balance by construction, at the price of gossiping the partition assignment rather than just the member list.`,
    );
  }
  return lines;
}

export function scenarioFinding(measured: Measured): string[] {
  const s = measured.scenario;
  if (s === null) return [];
  const lines: string[] = [];
  const worstP99 = Math.max(...s.latency.map((l) => l.summary.p99Ms), 0);
  const worstOp = s.latency.find((l) => l.summary.p99Ms === worstP99);
  if (worstOp !== undefined) {
    lines.push(`The slowest p99 is ${worstOp.op} at ${sig(worstP99)} ms — ${worstP99 < 10 ? 'within' : 'over'} seed 001's 10 ms target (simulated network and disk latencies, not this machine's).`);
  }
  const during = s.availability.duringFaults;
  if (during !== null) lines.push(`Availability during faults was ${pct(during)} over ${sig(s.availability.faultSeconds)} s of faults${s.availability.outsideFaults !== null ? `, ${pct(s.availability.outsideFaults)} outside them` : ''}.`);
  if (s.staleReads !== null) lines.push(s.staleReads.stale === 0 ? `No stale reads among ${s.staleReads.reads} with R=${s.cluster.r}, W=${s.cluster.w}, N=${s.cluster.n}.` : `${s.staleReads.stale} of ${s.staleReads.reads} reads were stale (rate ${sig(s.staleReads.rate)}) with R=${s.cluster.r}, W=${s.cluster.w}, N=${s.cluster.n}${s.cluster.r + s.cluster.w > s.cluster.n ? ' — overlapping quorums, so sloppy quorum or faults let them through' : ' — R + W ≤ N, so quorums need not overlap'}.`);
  if (s.siblings !== null) lines.push(`Reads returned ${sig(s.siblings.mean)} versions on average (max ${s.siblings.max}) in ${s.cluster.conflict} mode${s.siblings.max > 1 ? ': concurrent writes the application has to merge' : ''}.`);
  return lines;
}
