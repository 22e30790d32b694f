import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shellWord } from '../../cli/seed';

/** The `dynalab` command as a user runs it: a child process, its output and its exit code. */
const root = resolve(__dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'dynalab-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function dynalab(...args: string[]) {
  const run = spawnSync(process.execPath, [join(root, 'bin/dynalab.js'), ...args], { cwd: work, encoding: 'utf8', timeout: 120_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** A refusal: exit 2, one line per problem on stderr, no stack trace, nothing run. */
function expectRefused(run: ReturnType<typeof dynalab>, message: RegExp) {
  expect(run.code, run.stderr).toBe(2);
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stdout).not.toMatch(/verdict|scenarios run|every promise kept/);
}

const tiny = (checks: string, quorum = 'n: 3, r: 2, w: 2') => `name: tiny
seed: 4
duration: 6s
quiescence: 2s
cluster: { nodes: 4, vnodes: 16, ${quorum} }
workload: { rate: 60, clients: 6, keys: 10, mix: { get: 0.5, put: 0.5 } }
faults:
  - { at: 1s, partition: { isolate: n1 } }
  - { at: 3s, heal: true }
checks: [${checks}]
`;

describe('dynalab CLI', () => {
  it('sim run prints verdicts, figures, the seed and the replay command, writes --out files, and replays identically', () => {
    writeFileSync(join(work, 'tiny.yaml'), tiny('lost-writes, stale-reads'));
    const first = dynalab('sim', 'run', 'tiny.yaml', '--out', 'out1');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/scenario tiny — seed 4/);
    expect(first.stdout).toMatch(/ok\s+lost-writes/);
    expect(first.stdout).toMatch(/replay: npx dynalab sim run tiny\.yaml --seed 4/);
    const result = JSON.parse(readFileSync(join(work, 'out1/result.json'), 'utf8'));
    expect(result.verdict).toBe('ok');
    expect(readFileSync(join(work, 'out1/history.jsonl'), 'utf8').split('\n')[0]).toMatch(/"type":"invoke"/);
    const second = dynalab('sim', 'run', 'tiny.yaml', '--out', 'out2');
    expect(readFileSync(join(work, 'out2/trace-hash'), 'utf8')).toBe(readFileSync(join(work, 'out1/trace-hash'), 'utf8'));
  });

  it('sim run says when a restart failed to boot (in the fault log and the figures)', () => {
    writeFileSync(join(work, 'boot.yaml'), tiny('lost-writes').replace(/faults:[\s\S]*checks:/, `faults:
  - { at: 1s, disk: { nodes: [n1], writeFaultProbability: 1 } }
  - { at: 2s, crash: { nodes: [n1] } }
  - { at: 3s, restart: { nodes: [n1] } }
checks:`));
    const run = dynalab('sim', 'run', 'boot.yaml');
    expect(run.stdout).toMatch(/restart of n1 failed: .*injected write failure.*; n1 stays down/);
    expect(run.stdout).toMatch(/^ {2}restarts {10}1 failed to boot: n1 at 3 s \(.*\); none down at the end$/m);
  });

  it('sim compare sets variants side by side, with disk rows, and "none" for an operation nobody ran', () => {
    writeFileSync(join(work, 'puts.yaml'), tiny('lost-writes').replace('mix: { get: 0.5, put: 0.5 }', 'mix: { put: 1 }, readModifyWrite: 0').replace('vnodes: 16,', 'vnodes: 16, storage: { memtableBytes: 16KiB, writeMegabytesPerSecond: 1 },'));
    const run = dynalab('sim', 'compare', 'puts.yaml', '--vary', 'compaction=leveled,size-tiered');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^get p50 \/ p99 ms\s+none\s+none$/m);
    expect(run.stdout).toMatch(/^disk written MB\s+[\d.]+\s+[\d.]+$/m);
    // At 1 MB/s, flushing 16 KiB tables and compacting them holds up the WAL fsyncs behind them.
    const fsync = /^fsync p50 \/ p99 ms\s+([\d.]+) \/ ([\d.]+)\s+([\d.]+) \/ ([\d.]+)$/m.exec(run.stdout);
    expect(fsync, run.stdout).not.toBeNull();
    expect(Number(fsync![2])).toBeGreaterThan(1);
  });

  it('a failed check exits 1 and names the first counterexample', () => {
    writeFileSync(join(work, 'siblings.yaml'), tiny('{ siblings: { maxSiblings: 0 } }'));
    const run = dynalab('sim', 'run', 'siblings.yaml');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL\s+siblings/);
    expect(run.stdout).toMatch(/first counterexample \(siblings, key k\d+/);
  });

  it('bad input gets a clear error and a non-zero exit', () => {
    writeFileSync(join(work, 'bad.yaml'), tiny('lost-writes', 'n: 3, r: 4, w: 2'));
    const bad = dynalab('sim', 'run', 'bad.yaml');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.yaml:5:\d+: cluster(\.r)?: r=4 cannot exceed n=3/);
    const missing = dynalab('sim', 'run', 'missing.yaml');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read scenario 'missing\.yaml'/);
    const seed = dynalab('sim', 'run', 'tiny.yaml', '--seed', 'abc');
    expect(seed.code).not.toBe(0);
    expect(seed.stderr).toMatch(/--seed must be a whole number/);
    expect(existsSync(join(work, 'runs'))).toBe(false);
    // A flag given twice is refused by name (two --out crashed with "dir.trim is not a function").
    writeFileSync(join(work, 'piped.yaml'), tiny('lost-writes'));
    const twice = dynalab('sim', 'run', 'piped.yaml', '--out', 'a', '--out', 'b');
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/^dynalab: --out is given 2 times \(a, b\); give it once/m);
    // `--` is yargs' own list, not a flag given twice: a value that starts with '-' still gets through.
    const dashes = dynalab('kv', 'put', '--endpoint', '127.0.0.1:9', 'k', '--', '--literal');
    expect(dashes.stderr).not.toMatch(/is given \d+ times/);
    expect(dashes.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/);
    // Output cut short by `| head` ends quietly, not with an EPIPE stack trace.
    const piped = spawnSync('sh', ['-c', `node ${join(root, 'bin/dynalab.js')} sim run piped.yaml | head -1`], { cwd: work, encoding: 'utf8' });
    expect(piped.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(piped.stderr).not.toMatch(/EPIPE|at .*\(node:/);
    // A misspelled command is bad input (2), not a failed check (1).
    const typo = dynalab('sim', 'frobnicate');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^dynalab: Unknown argument: frobnicate \(see --help\)$/m);
  });

  it('kv refuses a malformed number or conflicting conditions before calling anyone, naming what was typed', () => {
    const r = dynalab('kv', 'get', 'k', '--r', 'abc', '--endpoint', '127.0.0.1:9');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--r abc: expected a whole number/);
    const ttl = dynalab('kv', 'put', 'k', 'v', '--ttl', '-1', '--endpoint', '127.0.0.1:9');
    expect(ttl.code).not.toBe(0);
    expect(ttl.stderr).toMatch(/--ttl -1: expected a positive number/);
    const both = dynalab('kv', 'put', 'k', 'v', '--if-match', 'abc', '--if-absent', '--endpoint', '127.0.0.1:9');
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/mutually exclusive|conflict/i);
    writeFileSync(join(work, 'value.bin'), 'from the file');
    const twice = dynalab('kv', 'put', 'k', 'v', '--file', 'value.bin', '--endpoint', '127.0.0.1:9');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/give the value once: as an argument or with --file value\.bin, not both/);
  });

  it('kv takes --ttl, --r, --w and --limit in decimal digits only (0x10 was a 16 s ttl), naming what was typed', () => {
    for (const [flag, typed, expected] of [
      ['--ttl', '0x10', /--ttl 0x10: expected a positive number, digits only \(fractions allowed: 0\.5\)/],
      ['--ttl', '1e3', /--ttl 1e3: expected a positive number, digits only/],
      ['--ttl', ' 10 ', /--ttl  10 : expected a positive number, digits only/],
      ['--w', '0x2', /--w 0x2: expected a whole number ≥ 1, digits only/],
      ['--w', '2e0', /--w 2e0: expected a whole number ≥ 1, digits only/],
    ] as const) {
      const run = dynalab('kv', 'put', 'k', 'v', flag, typed, '--endpoint', '127.0.0.1:9');
      expect(run.code, `${flag} ${typed}`).not.toBe(0);
      expect(run.stderr).toMatch(expected);
    }
    expect(dynalab('kv', 'get', 'k', '--r', ' 2', '--endpoint', '127.0.0.1:9').stderr).toMatch(/--r  2: expected a whole number ≥ 1, digits only/);
    expect(dynalab('kv', 'list', '--limit', '0x10', '--endpoint', '127.0.0.1:9').stderr).toMatch(/--limit 0x10: expected a whole number ≥ 1, digits only/);
  });

  it('problems that used to surface mid-run are refused when the file loads: exit 2, file:line:col, nothing run', () => {
    writeFileSync(join(work, 'late.yaml'), tiny('{ stale-reads: { maxStaleRate: 7 } }').replace('quiescence: 2s', 'quiescence: 6s').replace('isolate: n1', 'isolate: n99'));
    const late = dynalab('sim', 'run', 'late.yaml');
    expectRefused(late, /^invalid scenario:\n {2}late\.yaml:\d+:\d+: /);
    expect(late.stderr).toMatch(/late\.yaml:10:\d+: checks\.0\.stale-reads\.maxStaleRate: /);
    expect(late.stderr).toMatch(/late\.yaml:4:13: quiescence: quiescence \(6 s\) must be shorter than duration \(6 s\)/);
    writeFileSync(join(work, 'dropped.yaml'), tiny('lost-writes').replace('at: 3s, heal', 'at: 4s, heal'));
    expectRefused(dynalab('sim', 'compare', 'dropped.yaml', '--vary', 'conflict=lww,vclock'), /dropped\.yaml:9:\d+: faults\.1\.at: fault 1 \(heal at 4 s\) would never happen/);
  });

  it('bad flags of check and sim are refused with one line and exit 2', () => {
    expectRefused(dynalab('check', '--runs', 'abc', '--seed', '1'), /--runs must be a whole number ≥ 1, got 'abc'/);
    expectRefused(dynalab('check', '--runs', '-3', '--seed', '1'), /--runs must be a whole number ≥ 1, got '-3'/);
    expectRefused(dynalab('check', '--runs', '1', '--seed', ''), /--seed must be a whole number from 0 to 4294967295, got ''/);
    expectRefused(dynalab('sim', 'compare', 'tiny.yaml', '--vary', 'conflict=lww', '--vary', 'conflict=vclock'), /conflict is already varied/);
    expectRefused(dynalab('sim', 'compare', 'tiny.yaml', '--vary', 'n=3,3'), /value '3' is given twice/);
  });

  it('sim kernel-demo refuses bad --nodes and --duration, and durations too short for the cluster, with one line and exit 2', () => {
    for (const nodes of ['1', '5001', '3.5', 'abc']) {
      expectRefused(dynalab('sim', 'kernel-demo', '--seed', '1', '--nodes', nodes), new RegExp(`^dynalab: --nodes must be a whole number from 2 to 5000, got '${nodes.replace('.', '\\.')}' \\(see --help\\)\n$`));
    }
    for (const duration of ['0', '-3']) {
      expectRefused(dynalab('sim', 'kernel-demo', '--seed', '1', '--duration', duration), new RegExp(`^dynalab: --duration must be a number of simulated seconds > 0, got '${duration}' \\(see --help\\)\n$`));
    }
    const short = dynalab('sim', 'kernel-demo', '--seed', '1', '--duration', '10');
    expectRefused(short, /^dynalab: --duration 10 is too short for 50 nodes: it needs at least 51 s \(.*warm-up.*detect.*converge.*\) \(see --help\)\n$/);
    expect(short.stdout).toBe('');
    expectRefused(dynalab('sim', 'kernel-demo', '--seed', 'abc'), /^dynalab: --seed must be a whole number ≥ 0, got 'abc' \(see --help\)\n$/);
  });

  it('sim kernel-demo --help says how --duration moves the partition, its minimum, and what big clusters cost', () => {
    const help = dynalab('sim', 'kernel-demo', '--help');
    expect(help.code).toBe(0);
    const text = help.stdout.replace(/\s+/g, ' ');
    expect(text).toMatch(/partition starts at 15\/70 of it and heals at 40\/70/);
    expect(text).toMatch(/at least 51 s for 50 nodes/);
    expect(text).toMatch(/2\.\.5000; wall time grows with the square of it \(about 0\.3 s at 50 nodes, 30 s at 500\)/);
  });

  it('sim kernel-demo with another --duration prints when the partition and the heal happen', () => {
    const run = dynalab('sim', 'kernel-demo', '--seed', '3', '--nodes', '10', '--duration', '45');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^partition at 9\.6 s, heal at 25\.7 s \(15\/70 and 40\/70 of --duration 45\)$/m);
    expect(run.stdout).toMatch(/replay: npx dynalab sim kernel-demo --seed 3 --nodes 10 --duration 45$/m);
  });

  it('--out is checked before the run starts', () => {
    writeFileSync(join(work, 'tiny.yaml'), tiny('lost-writes'));
    writeFileSync(join(work, 'a-file'), '');
    expectRefused(dynalab('sim', 'run', 'tiny.yaml', '--out', 'a-file/sub'), /^dynalab: cannot write to --out 'a-file\/sub': .*a-file exists and is not a directory\n$/);
    expectRefused(dynalab('sim', 'run', 'tiny.yaml', '--out', 'a-file'), /cannot write to --out 'a-file'/);
    expectRefused(dynalab('check', '--runs', '100', '--seed', '5', '--sabotage', 'lww', '--out', 'a-file/x'), /cannot write to --out 'a-file\/x'/);
    if (existsSync('/proc/self')) expectRefused(dynalab('sim', 'run', 'tiny.yaml', '--out', '/proc/nope'), /cannot write to --out '\/proc\/nope'/);
    // A check that passes leaves no empty output directory behind.
    expect(dynalab('check', '--runs', '2', '--seed', '1', '--out', 'unused/deep').code).toBe(0);
    expect(existsSync(join(work, 'unused'))).toBe(false);
  });

  it('check --sabotage lww writes a scenario whose `sim run` fails the same way', () => {
    const check = dynalab('check', '--runs', '100', '--seed', '5', '--sabotage', 'lww', '--out', 'failures');
    expect(check.code, check.stderr).toBe(1);
    expect(check.stdout).toMatch(/vector clocks lost an acknowledged write/);
    expect(check.stdout).toContain('or: npx dynalab sim run failures/check-failure-seed-5.yaml');
    const replay = dynalab('sim', 'run', 'failures/check-failure-seed-5.yaml');
    expect(replay.code, replay.stderr).toBe(1);
    expect(replay.stdout).toMatch(/FAIL\s+lost-writes .*; vclock mode\)/);
    expect(replay.stdout).toMatch(/verdict FAIL/);
  });

  it('replay commands quote a path a shell would split, and the quoted command replays the run', () => {
    expect(shellWord('scenarios/quickstart.yaml')).toBe('scenarios/quickstart.yaml');
    expect(shellWord("with space/q's.yaml")).toBe("'with space/q'\\''s.yaml'");
    writeFileSync(join(work, 'with space.yaml'), tiny('lost-writes'));
    const run = dynalab('sim', 'run', 'with space.yaml');
    const replay = /^replay: (.*)$/m.exec(run.stdout)![1]!;
    expect(replay).toMatch(/^npx dynalab sim run 'with space\.yaml' --seed \d+$/);
    const again = spawnSync('sh', ['-c', replay.replace('npx dynalab', `node ${join(root, 'bin/dynalab.js')}`)], { cwd: work, encoding: 'utf8' });
    expect(/trace (\w+)/.exec(again.stdout)![1]).toBe(/trace (\w+)/.exec(run.stdout)![1]);
  });

  it('a passing check under --sabotage prints a replay with --sabotage (without it, other cases are drawn)', () => {
    const run = dynalab('check', '--runs', '1', '--seed', '1', '--sabotage', 'ack-before-fsync', '--out', 'sab');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^replay: npx dynalab check --runs 1 --seed 1 --sabotage ack-before-fsync$/m);
  });

  it('sim compare says which variants failed their checks, and exits 0 (the table is the result)', () => {
    writeFileSync(join(work, 'skew.yaml'), readFileSync(join(root, 'scenarios/clock-skew.yaml'), 'utf8'));
    const run = dynalab('sim', 'compare', 'skew.yaml', '--vary', 'conflict=lww,vclock');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^1 of 2 variants failed their checks: conflict=lww \(compare exits 0; run a variant with `sim run` to gate on its verdict\)$/m);
  });

  it('check refuses a malformed --path, and one that names no run, instead of a stack trace or a pass', () => {
    const bad = dynalab('check', '--path', 'abc', '--seed', '1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--path abc: expected the replay path a failure printed/);
    const nothing = dynalab('check', '--path', '999:999', '--seed', '1', '--runs', '1');
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/replayed nothing/);
  });

  it('a file that cannot be written after a run costs one line and exit 2, after the whole summary (sim run)', () => {
    writeFileSync(join(work, 'tiny.yaml'), tiny('lost-writes'));
    mkdirSync(join(work, 'blocked/result.json'), { recursive: true });
    const run = dynalab('sim', 'run', 'tiny.yaml', '--out', 'blocked');
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).toMatch(/^verdict OK {3}trace \w+$/m);
    expect(run.stdout).toMatch(/^replay: npx dynalab sim run tiny\.yaml --seed 4$/m);
    expect(run.stdout).not.toMatch(/^wrote /m);
    expect(run.stderr).toMatch(/^dynalab: cannot write blocked\/result\.json: EISDIR: .*\n$/);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    // --json prints the result before it tries the files, too.
    const json = dynalab('sim', 'run', 'tiny.yaml', '--out', 'blocked', '--json');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).verdict).toBe('ok');
  });

  it('a failure file check cannot write costs one line and exit 2, after the whole counterexample', () => {
    mkdirSync(join(work, 'blocked-check/check-failure-seed-5.yaml'), { recursive: true });
    const run = dynalab('check', '--runs', '100', '--seed', '5', '--sabotage', 'lww', '--out', 'blocked-check');
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).toMatch(/^dynalab check: a promise was broken/);
    expect(run.stdout).toMatch(/vector clocks lost an acknowledged write/);
    expect(run.stdout).toMatch(/^minimal scenario \(could not be written to blocked-check\/check-failure-seed-5\.yaml\):$/m);
    expect(run.stdout).toMatch(/^ {2}name: /m);
    expect(run.stdout).toMatch(/^replay: npx dynalab check --seed 5 --path [\d:]+ --runs 1 --sabotage lww$/m);
    expect(run.stdout).not.toMatch(/or: npx dynalab sim run/);
    expect(run.stderr).toMatch(/^dynalab: cannot write blocked-check\/check-failure-seed-5\.yaml: EISDIR: .*\n$/);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it('an empty or value-less --out is refused by every command that takes it', () => {
    writeFileSync(join(work, 'tiny.yaml'), tiny('lost-writes'));
    const needsName = /^dynalab: --out: needs a directory name \(see --help\)\n$/;
    expectRefused(dynalab('sim', 'run', 'tiny.yaml', '--out', ''), needsName);
    expectRefused(dynalab('sim', 'run', 'tiny.yaml', '--out', ' '), needsName);
    expectRefused(dynalab('sim', 'run', 'tiny.yaml', '--out'), needsName);
    expectRefused(dynalab('check', '--runs', '1', '--seed', '1', '--out', ''), needsName);
    expectRefused(dynalab('check', '--runs', '1', '--seed', '1', '--out'), needsName);
    expectRefused(dynalab('report', 'capacity', '--out'), /^dynalab report capacity: --out: needs a directory name\n$/);
    // Without --out, check still uses runs/ (a default said in --help, no longer a yargs default).
    expect(dynalab('check', '--help').stdout).toMatch(/where to write the minimal failing scenario \(default: runs\)/);
  });

  it('names the first counterexample of the first failing check that has one (convergence has none)', () => {
    writeFileSync(join(work, 'conv-first.yaml'), tiny('{ convergence: { threshold: 1us } }, { siblings: { maxSiblings: 0 } }', 'n: 3, r: 1, w: 1, hintedHandoff: false, readRepair: false'));
    const run = dynalab('sim', 'run', 'conv-first.yaml');
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/^ {2}FAIL {4}convergence .*\n {2}FAIL {4}siblings /m);
    expect(run.stdout).toMatch(/^first counterexample \(siblings, key k\d+, history events [\d, ]+\):$/m);
  });

  it('an unknown verdict exits 3 (a failed check 1, bad input 2) in sim run; sim compare says which variants are unknown', () => {
    const undecided = tiny('{ linearizability: { maxStepsPerKey: 1, maxSteps: 1 } }', 'n: 3, r: 3, w: 3, conflict: lww').replace(/faults:[\s\S]*checks:/, 'checks:');
    writeFileSync(join(work, 'undecided.yaml'), undecided);
    const run = dynalab('sim', 'run', 'undecided.yaml');
    expect(run.stdout).toMatch(/^verdict UNKNOWN /m);
    expect(run.code, run.stderr).toBe(3);
    const compare = dynalab('sim', 'compare', 'undecided.yaml', '--vary', 'readRepair=true,false');
    expect(compare.stdout).toMatch(/^verdict\s+unknown\s+unknown$/m);
    expect(compare.stdout).toMatch(/^2 of 2 variants could not be judged \(verdict unknown\): readRepair=true, readRepair=false$/m);
    expect(compare.code, compare.stderr).toBe(0);
    // Both findings are said (vector clocks return siblings: not linearizable).
    const mixed = dynalab('sim', 'compare', 'undecided.yaml', '--vary', 'conflict=vclock,lww');
    expect(mixed.stdout).toMatch(/^verdict\s+fail\s+unknown$/m);
    expect(mixed.stdout).toMatch(/^1 of 2 variants failed their checks: conflict=vclock \(compare exits 0.*\)\n1 of 2 variants could not be judged \(verdict unknown\): conflict=lww$/m);
    expect(mixed.code, mixed.stderr).toBe(0);
  });

  it('--vary values are decimal and held to the limits a scenario file has, naming the knob and the value', () => {
    writeFileSync(join(work, 'tiny.yaml'), tiny('lost-writes'));
    expectRefused(dynalab('sim', 'compare', 'tiny.yaml', '--vary', 'diskMBps=2000000'), /^dynalab: --vary diskMBps=2000000: cluster\.storage\.writeMegabytesPerSecond: Too big: expected number to be <=1000000\n$/);
    expectRefused(dynalab('sim', 'compare', 'tiny.yaml', '--vary', 'vnodes=1e2'), /vnodes must be a positive integer ≤ 4096 in decimal digits, got '1e2'/);
    expectRefused(dynalab('sim', 'compare', 'tiny.yaml', '--vary', 'rate=0x10'), /rate must be a number > 0 in decimal digits .*, got '0x10'/);
    expectRefused(dynalab('sim', 'compare', 'tiny.yaml', '--vary', 'diskMBps=1e3'), /diskMBps must be a number ≥ 0 .*, got '1e3'/);
    // The same value in a file is refused the same way.
    writeFileSync(join(work, 'fast-disk.yaml'), tiny('lost-writes').replace('vnodes: 16,', 'vnodes: 16, storage: { writeMegabytesPerSecond: 2000000 },'));
    expectRefused(dynalab('sim', 'run', 'fast-disk.yaml'), /cluster\.storage\.writeMegabytesPerSecond: Too big: expected number to be <=1000000/);
    // The replay hint names the file's field for each knob, and one variant is "1 variant".
    const one = dynalab('sim', 'compare', 'tiny.yaml', '--vary', 'diskMBps=5', '--vary', 'nrw=3/2/2');
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/^tiny — seed 4, 1 variant, same workload and fault schedule$/m);
    expect(one.stdout).toMatch(/\(edit the knob in the file: diskMBps is cluster\.storage\.writeMegabytesPerSecond; nrw is cluster\.n\/r\/w\)$/m);
  });

  it('check --seed above 2^32 − 1 is refused (fast-check keeps 32 bits: 4294967299 ran seed 3)', () => {
    expectRefused(dynalab('check', '--runs', '1', '--seed', '4294967299'), /^dynalab: --seed must be a whole number from 0 to 4294967295, got '4294967299' \(see --help\)\n$/);
    const top = dynalab('check', '--runs', '1', '--seed', '4294967295', '--out', 'top');
    expect(top.code, top.stderr).toBe(0);
    expect(top.stdout).toMatch(/^replay: npx dynalab check --runs 1 --seed 4294967295$/m);
  });

  it('no command: one "(see --help)", exit 2', () => {
    const run = dynalab();
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('dynalab: name a command (see --help)\n');
  });

  it('kv delete takes --if-match', () => {
    const help = dynalab('kv', 'delete', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--if-match/);
  });

  it('--help lists the verbs', () => {
    const help = dynalab('--help');
    expect(help.code).toBe(0);
    for (const verb of ['sim', 'check', 'report', 'serve', 'deploy', 'kv']) expect(help.stdout).toContain(`dynalab ${verb}`);
  });
});
