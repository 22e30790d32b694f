/**
 * "What this means" — one short reading per report section, computed from the model and the measurements.
 *
 * Every sentence here is chosen by comparing numbers (utilisation above or below 1, model within or outside
 * the measured figure, a target met or not), so changing an input changes the reading; none is fixed prose.
 */
import { nodesForLoad, type CapacityModel } from './capacity-model';
import type { Measured } from './measured';
import { formatValue, grouped, percent, sig } from './units';

/** Three figures, and never "100 %" for a share below 1 (availability takes four, as the scenario table does). */
const pct = (fraction: number, digits = 3): string => percent(fraction, digits);
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
    const fullest = storage.perNode.value * chosen.maxReplicaLoad;
    const bytes = (x: number): string => formatValue(x, 'bytes');
    lines.push(
      `Averages hide the ring's spread: at ${inputs.vnodes} vnodes the fullest node holds ${times(chosen.maxReplicaLoad)} its fair share of replica ranges, ${bytes(fullest)} of live data rather than ${bytes(storage.perNode.value)}.`,
    );
    const byName = new Map(measured.compaction.strategies.map((s) => [s.strategy, s]));
    const leveled = byName.get('leveled');
    const tiered = byName.get('size-tiered');
    if (leveled !== undefined && tiered !== undefined) {
      lines.push(
        `On disk the LSM engine keeps more than the live data (space amplification, measured below at a scaled-down size): size disks for ${bytes(fullest)} × ${times(leveled.spaceAmplification)} = ${bytes(fullest * leveled.spaceAmplification)} under leveled compaction and ${bytes(fullest)} × ${times(tiered.spaceAmplification)} = ${bytes(fullest * tiered.spaceAmplification)} under size-tiered. Size-tiered "can temporarily double disk usage during a merge" (seed 001) — its inputs stay until the merged output is written — so give it room for up to 2 × ${bytes(fullest * tiered.spaceAmplification)} = ${bytes(2 * fullest * tiered.spaceAmplification)} while its largest runs merge.`,
      );
    }
  }
  return lines;
}

export function trafficFinding(model: CapacityModel): string[] {
  const t = model.traffic;
  const days = t.daysToRewriteData.value;
  const lines = [
    `At peak every node coordinates ${formatValue(t.readsPerNode.value, 'ops/s')} reads and ${formatValue(t.writesPerNode.value, 'ops/s')} writes, and as a replica serves ${formatValue(t.replicaReadsPerNode.value, 'ops/s')} reads (every read is sent to all N=${model.inputs.replicas} replicas; R=${model.inputs.readQuorum} only sets how many replies the coordinator waits for) and applies ${formatValue(t.replicaWritesPerNode.value, 'ops/s')} writes (all N=${model.inputs.replicas} copies).`,
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
  const forLoad = nodesForLoad(inputs);
  const need = forLoad < inputs.replicas
    ? `The write load alone would fit on ${forLoad.toLocaleString('en-US')} node${forLoad === 1 ? '' : 's'}, but N=${inputs.replicas} replicas on distinct nodes need at least ${inputs.replicas}.`
    : `The write load alone would need ${lsm.nodesForWrites.value.toLocaleString('en-US')} nodes.`;
  return [
    `${formatValue(traffic.replicaWritesPerNode.value, 'ops/s')} replica writes per node is ${pct(u)} of the ${formatValue(inputs.nodeWritesPerSec, 'ops/s')} an LSM node absorbs: ${times(1 / u)} headroom at peak, with all N copies counted. ${need}`,
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
  // What a node's disk absorbs: the WAL and the table bytes, both as measured. The manifest is left out and
  // said so, because at the scaled-down table size its share says more about the test than about a node.
  const factor = (s: typeof leveled): number => s.walWriteAmplification + s.tableWriteAmplification;
  const disk = (s: typeof leveled): string => formatValue(ingest * factor(s), 'bytes/s');
  const load = measured.compaction.load;
  const manifestLarge = Math.max(leveled.manifestWriteAmplification, tiered.manifestWriteAmplification) >= 0.1;
  const rewrites = leveled.flushes + leveled.compactions;
  const perRewrite = (leveled.manifestWriteAmplification * leveled.userBytes) / Math.max(rewrites, 1);
  const manifestText = manifestLarge
    ? ` The manifest's share is large only at this scaled-down size: the engine rewrites the whole manifest, one entry per live table, on every flush and compaction — under leveled ${grouped(rewrites)} rewrites of ~${formatValue(perRewrite, 'bytes')} each against ${sig(load.memtableBytes / 1024)} KiB tables. With 64 MiB tables each rewrite is spread over 1,024× as many bytes, so on a real node the manifest adds a small fraction of 1×.`
    : '';
  return [
    `The engine measured ${times(tiered.tableWriteAmplification)} for size-tiered (seed: ${times(model.inputs.writeAmpSizeTiered)}, ${versus(tiered.tableWriteAmplification, model.inputs.writeAmpSizeTiered)}) and ${times(leveled.tableWriteAmplification)} for leveled (seed: ${times(model.inputs.writeAmpLeveled)}, ${versus(leveled.tableWriteAmplification, model.inputs.writeAmpLeveled)}). Leveled writes ${times(leveled.tableWriteAmplification / tiered.tableWriteAmplification)} as many bytes and in return keeps space amplification at ${times(leveled.spaceAmplification)} against size-tiered's ${times(tiered.spaceAmplification)}.`,
    `With the measured factors, a node's disk absorbs ${disk(leveled)} at peak under leveled and ${disk(tiered)} under size-tiered for ${formatValue(ingest, 'bytes/s')} of replica writes: the ingest × (WAL ${times(leveled.walWriteAmplification)} + flush and compaction ${times(leveled.tableWriteAmplification)} = ${times(factor(leveled))}) leveled and × (${times(tiered.walWriteAmplification)} + ${times(tiered.tableWriteAmplification)} = ${times(factor(tiered))}) size-tiered. The engine's totals, ${times(leveled.writeAmplification)} and ${times(tiered.writeAmplification)}, also count manifest writes: ${times(leveled.manifestWriteAmplification)} leveled and ${times(tiered.manifestWriteAmplification)} size-tiered, left out here.${manifestText}`,
  ];
}

export function networkFinding(model: CapacityModel): string[] {
  const n = model.network;
  const i = model.inputs;
  const perNode = n.replicationPerNode.value + n.readFanInPerNode.value;
  const ratio = n.replicationCluster.value > 0
    ? `read replies are ${times(n.readFanInCluster.value / n.replicationCluster.value)} the replication bytes`
    : 'with N=1 no write is copied';
  return [
    `Per node at peak: ${formatValue(n.replicationPerNode.value, 'bytes/s')} of replica copies and ${formatValue(n.readFanInPerNode.value, 'bytes/s')} of read replies, ${formatValue(perNode, 'bytes/s')} (${sig((perNode * 8) / 1e9)} Gbit/s) before client traffic; ${ratio}. N sets both: each write sends N − 1 = ${i.replicas - 1} copies and each read goes to all N = ${i.replicas} replicas, every one of which answers with the value, so one more replica adds a copy to every write and a reply to every read. R=${i.readQuorum} only sets how many of those answers the coordinator waits for: lowering it shortens reads, it does not shrink their bytes.`,
  ];
}

export function ringFinding(model: CapacityModel, measured: Measured): string[] {
  const v = model.inputs.vnodes;
  const chosen = measured.ring.byVnodes.find((p) => p.vnodes === v);
  const first = measured.ring.byVnodes[0];
  const third = measured.ring.strategies.find((s) => s.kind === 'equal-partitions');
  if (chosen === undefined || first === undefined) return [];
  const p = chosen.primaryStddevPercent;
  const r = chosen.replicaStddevPercent;
  const n = measured.ring.replicas;
  const under = (x: number, limit: number): string => (x < limit ? 'meets it' : 'misses it');
  // 100/√v < 5 % needs v > 400: above seed 001's own 150–256 range.
  const modelNote = p >= 5 && chosen.expectedPercent >= 5 ? ` (even the model, ${sig(chosen.expectedPercent)} %, stays above 5 % until ${Math.floor((100 / 5) ** 2) + 1} vnodes)` : '';
  const lines = [
    `At ${v} vnodes the measured spread of primary ownership is ${sig(p)} % of the mean (model 100 ÷ √${v} = ${sig(chosen.expectedPercent)} %, measured ${versus(p, chosen.expectedPercent)}); with 1 vnode it is ${sig(first.primaryStddevPercent)} %. Counting the ranges each node holds as one of N=${n} replicas — what fills its disk — the spread is ${sig(r)} %.`,
    `Against the seeds: seed 002's "under 10 %" ${p < 10 && r < 10 ? 'holds for both' : p < 10 || r < 10 ? `holds for ${p < 10 ? 'primary' : 'replica'} ownership only` : 'holds for neither'}. Seed 001's stricter "standard deviation of under 5%" (for 150–256 vnodes) is ${p < 5 && r < 5 ? 'met by both' : p < 5 || r < 5 ? 'met by one of them' : 'met by neither'}: primary ownership (${sig(p)} %) ${under(p, 5)}${modelNote}, the as-one-of-N-replicas spread (${sig(r)} %) ${under(r, 5)}.`,
  ];
  if (third !== undefined) {
    lines.push(
      `Strategy 3 (equal partitions dealt out evenly) brings the spread to ${sig(third.primaryStddevPercent, 2)} % of primary and ${sig(third.replicaStddevPercent, 2)} % of replica ranges — balance by construction, at the price of gossiping the partition assignment rather than just the member list.`,
    );
  }
  return lines;
}

/**
 * The scenario's failed and undecided checks, and what that means for its figures; none for an ok run. They
 * lead the scenario's findings, and the report repeats them at its top (capacity-report.ts).
 */
export function scenarioVerdictLines(s: NonNullable<Measured['scenario']>): string[] {
  const lines: string[] = [];
  const failed = s.checks.filter((c) => c.verdict === 'fail');
  const unknown = s.checks.filter((c) => c.verdict === 'unknown');
  for (const c of failed) lines.push(`**Check ${c.checker} FAILED**: ${c.summary.replace(/\.$/, '')}.`);
  for (const c of unknown) lines.push(`**Check ${c.checker} could not decide (unknown)**: ${c.summary.replace(/\.$/, '')}.`);
  if (failed.length > 0) {
    lines.push(`The scenario's verdict is fail: the figures below come from a run that broke ${failed.length === 1 ? 'that promise' : 'those promises'}, so read them as that run's, not as what the cluster can be trusted to deliver.`);
  } else if (unknown.length > 0) {
    lines.push(`The scenario's verdict is unknown: ${unknown.length === 1 ? 'that check' : 'those checks'} could not judge the run, so the figures below come with no correctness verdict behind them.`);
  }
  return lines;
}

export function scenarioFinding(measured: Measured): string[] {
  const s = measured.scenario;
  if (s === null) return [];
  // A failed or undecided check comes first: the latency and availability below are those of a run that broke
  // (or could not show it kept) a promise, and must not read as a clean bill of health.
  const lines = scenarioVerdictLines(s);
  const worstP99 = Math.max(...s.latency.map((l) => l.summary.p99Ms), 0);
  const worstOp = s.latency.find((l) => l.summary.p99Ms === worstP99);
  if (worstOp !== undefined) {
    lines.push(`The slowest p99 is ${worstOp.op} at ${sig(worstP99)} ms — ${worstP99 < 10 ? 'within' : 'over'} seed 001's 10 ms target (simulated network and disk latencies, not this machine's).`);
  }
  const during = s.availability.duringFaults;
  if (during !== null) lines.push(`Availability during faults was ${pct(during, 4)} over ${sig(s.availability.faultSeconds)} s of faults${s.availability.outsideFaults !== null ? `, ${pct(s.availability.outsideFaults, 4)} outside them` : ''}.`);
  if (s.staleReads !== null) lines.push(s.staleReads.stale === 0 ? `No stale reads among ${s.staleReads.reads} with R=${s.cluster.r}, W=${s.cluster.w}, N=${s.cluster.n}.` : `${s.staleReads.stale} of ${s.staleReads.reads} reads were stale (rate ${sig(s.staleReads.rate)}) with R=${s.cluster.r}, W=${s.cluster.w}, N=${s.cluster.n}${s.cluster.r + s.cluster.w > s.cluster.n ? ' — overlapping quorums, so sloppy quorum or faults let them through' : ' — R + W ≤ N, so quorums need not overlap'}.`);
  if (s.siblings !== null) {
    const mean = sig(s.siblings.mean);
    lines.push(`Reads that found a value returned ${mean} version${mean === '1' ? '' : 's'} on average (max ${s.siblings.max}) in ${s.cluster.conflict} mode${s.siblings.max > 1 ? ': concurrent writes the application has to merge' : ''}.`);
  }
  return lines;
}
