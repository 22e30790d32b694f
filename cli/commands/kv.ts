import * as fs from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { DynalabClient, DynalabHttpError, type GetResult } from '../../real/client';

/**
 * `dynalab kv get|put|delete|list|status`: the HTTP client from the command line. The endpoint comes from
 * --endpoint, else $DYNALAB_ENDPOINT, else 127.0.0.1:8001 (deploy's first node); the token from --token or
 * $DYNALAB_TOKEN. Exit status: 0 done, 1 not found / refused / failed.
 */
export const kvCommand: CommandModule = {
  command: 'kv',
  describe: 'get/put/delete/list/status against a real cluster over HTTP',
  builder: (y: Argv) =>
    y
      .option('endpoint', { type: 'string', default: process.env.DYNALAB_ENDPOINT ?? '127.0.0.1:8001', describe: 'any node\'s HTTP address (or $DYNALAB_ENDPOINT)' })
      .option('token', { type: 'string', default: process.env.DYNALAB_TOKEN, describe: 'bearer token, if the cluster needs one' })
      .option('json', { type: 'boolean', default: false, describe: 'print results as JSON' })
      .command(
        'get <key>',
        'read a key: its value (or siblings) and causal context',
        (c) => c.positional('key', { type: 'string', demandOption: true }).option('r', { type: 'string', coerce: wholeNumber('--r'), describe: 'read quorum' })
          .option('raw', { type: 'boolean', default: false, describe: 'write only the value bytes to stdout' }),
        (argv) => run(async () => {
          const result = await client(argv).get(argv.key, argv.r === undefined ? {} : { r: argv.r });
          if (argv.json) {
            printJson(getJson(result));
            if (!result.found) process.exitCode = 1; // as without --json: a script can test the exit status
            return;
          }
          if (!result.found) {
            console.error(`not found${result.context ? ` (context ${result.context})` : ''}`);
            process.exitCode = 1;
            return;
          }
          if (argv.raw && result.siblings) {
            // Not the listing on stdout with exit 0: `kv get k --raw > file` would save it as if it were the value.
            console.error(`${result.values.length} siblings (concurrent writes): --raw needs one value; resolve them with put --context ${result.context}, or read them with --json`);
            process.exitCode = 1;
            return;
          }
          if (argv.raw) return void process.stdout.write(result.values[0]!);
          if (result.siblings) {
            console.log(`siblings ${result.values.length} (concurrent writes; put with --context to resolve them)`);
            result.values.forEach((v, i) => console.log(`  [${i + 1}] ${show(v)}`));
          } else {
            console.log(`value    ${show(result.values[0]!)}`);
          }
          console.log(`context  ${result.context}`);
          console.log(`etag     ${result.etag}`);
          console.log(`replies  ${result.replies}`);
        }),
      )
      .command(
        'put <key> [value]',
        'write a key (value from the argument, --file, or stdin)',
        (c) => c.positional('key', { type: 'string', demandOption: true }).positional('value', { type: 'string' })
          .option('file', { type: 'string', describe: 'read the value from this file' })
          .option('context', { type: 'string', describe: 'causal context from a get (supersedes what you read)' })
          .option('w', { type: 'string', coerce: wholeNumber('--w'), describe: 'write quorum' })
          .option('ttl', { type: 'string', coerce: positiveNumber('--ttl'), describe: 'time to live, seconds' })
          .option('if-match', { type: 'string', describe: 'compare-and-set: only if the current etag is this (* = only if it has a value)' })
          .option('if-absent', { type: 'boolean', describe: 'only if the key has no value' })
          .conflicts('if-match', 'if-absent'),
        (argv) => run(async () => {
          if (argv.value !== undefined && argv.file !== undefined) throw new Error(`give the value once: as an argument or with --file ${argv.file}, not both`);
          const value = argv.value !== undefined ? argv.value : argv.file !== undefined ? fs.readFileSync(argv.file) : fs.readFileSync(0);
          const reply = await client(argv).put(argv.key, typeof value === 'string' ? value : new Uint8Array(value), {
            ...(argv.context ? { context: argv.context } : {}),
            ...(argv.w !== undefined ? { w: argv.w } : {}),
            ...(argv.ttl !== undefined ? { ttlSeconds: argv.ttl } : {}),
            ...(argv.ifMatch !== undefined ? { ifMatch: argv.ifMatch } : {}),
            ...(argv.ifAbsent ? { ifAbsent: true } : {}),
          });
          if (argv.json) return printJson(reply);
          console.log(`ok       ${plural(reply.acks, 'replica')} acknowledged (fsynced)`);
          if (reply.context !== '') console.log(`context  ${reply.context}`);
          else if (reply.siblings !== undefined) console.log(`context  none: ${reply.siblings} concurrent versions stand side by side now; kv get shows them (and a context that covers them)`);
        }),
      )
      .command(
        'delete <key>',
        'delete a key (without --context the node reads the current version first and deletes what it read)',
        (c) => c.positional('key', { type: 'string', demandOption: true })
          .option('context', { type: 'string', describe: 'causal context from a get' })
          .option('if-match', { type: 'string', describe: 'only if the current etag is this (* = only if it has a value)' })
          .option('w', { type: 'string', coerce: wholeNumber('--w'), describe: 'write quorum' }),
        (argv) => run(async () => {
          const reply = await client(argv).delete(argv.key, {
            ...(argv.context ? { context: argv.context } : {}),
            ...(argv.w !== undefined ? { w: argv.w } : {}),
            ...(argv.ifMatch !== undefined ? { ifMatch: argv.ifMatch } : {}),
          });
          if (argv.json) return printJson(reply);
          console.log(`deleted  ${plural(reply.acks, 'replica')} acknowledged`);
          // With a context, what was deleted is what that context had seen; a version written since stays.
          if (argv.context) console.log('         (the versions that context saw; any written since remain: kv get shows them)');
        }),
      )
      .command(
        'list [prefix]',
        'list keys under a prefix (scatter-gather over every node)',
        (c) => c.positional('prefix', { type: 'string', default: '' }).option('limit', { type: 'string', coerce: wholeNumber('--limit'), describe: 'at most this many keys' }),
        (argv) => run(async () => {
          const result = await client(argv).list(argv.prefix, argv.limit === undefined ? {} : { limit: argv.limit });
          if (argv.json) return printJson(result);
          // Keys travel percent-encoded; shown as text when they are UTF-8, so a listed key can be passed to
          // `kv get` as it is printed (other byte strings stay encoded).
          for (const key of result.keys) console.log(readableKey(key));
          console.error(`${plural(result.keys.length, 'key')} from ${result.answered} of ${plural(result.asked, 'node')}${result.truncated ? ' (truncated)' : ''}${result.missing.length ? `; no answer from ${result.missing.join(', ')}` : ''}`);
        }),
      )
      .command('status', 'a node\'s status: peers, storage, requests (--json: every counter)', (c) => c, (argv) => run(async () => {
        const status = await client(argv).status();
        if (argv.json) return printJson(status);
        for (const line of statusLines(status as StatusShape)) console.log(line);
      }))
      .demandCommand(1, 'name a kv command: get, put, delete, list, status'),
  handler: () => {},
};

/** The parts of GET /v1/status the summary reads (every field optional: an older node may lack some). */
interface StatusShape {
  id?: string; actor?: string; mode?: string; pid?: number; uptimeSeconds?: number; dataDir?: string; pendingHints?: number;
  quorum?: { n?: number; r?: number; w?: number };
  suspected?: string[];
  transport?: { peers?: Record<string, { state?: string; lastFailure?: string; queuedMessages?: number }> };
  storage?: { failure?: string | null; backgroundError?: string | null; memtableBytes?: number; tableBytes?: number; flushes?: number; compactions?: number };
  requests?: { requests?: number; inFlight?: number; shed?: number; connectionsRefused?: number; latency?: { p99Ms?: number } };
  eventLoop?: { p99Ms?: number; maxMs?: number };
}

/** `kv status` without --json: what an operator looks at first, one line per concern. */
export function statusLines(s: StatusShape): string[] {
  const mib = (bytes: number | undefined) => `${((bytes ?? 0) / 2 ** 20).toFixed(1)} MiB`;
  const q = s.quorum ?? {};
  const peers = Object.entries(s.transport?.peers ?? {}).map(([id, peer]) => {
    if (peer.lastFailure) return `${id} unreachable (${peer.lastFailure})`;
    const queued = peer.queuedMessages ? `, ${peer.queuedMessages} queued` : '';
    return `${id} ${peer.state ?? '?'}${queued}`;
  });
  const failure = s.storage?.failure ?? s.storage?.backgroundError ?? null;
  const r = s.requests ?? {};
  return [
    `node      ${s.id ?? '?'}  actor ${s.actor ?? '?'}, ${s.mode ?? '?'}, n=${q.n ?? '?'} r=${q.r ?? '?'} w=${q.w ?? '?'}; up ${s.uptimeSeconds ?? '?'} s, pid ${s.pid ?? '?'}`,
    `peers     ${peers.length > 0 ? peers.join('; ') : 'none'}${s.suspected && s.suspected.length > 0 ? `; suspected: ${s.suspected.join(', ')}` : ''}`,
    `storage   ${failure ? `FAILED: ${failure}` : 'ok'} — ${s.dataDir ?? '?'}; memtable ${mib(s.storage?.memtableBytes)}, tables ${mib(s.storage?.tableBytes)}, ${s.storage?.flushes ?? 0} flushes, ${s.storage?.compactions ?? 0} compactions`,
    `requests  ${r.requests ?? 0} served, ${r.inFlight ?? 0} in flight, ${r.shed ?? 0} shed (overloaded), ${r.connectionsRefused ?? 0} connections refused; p99 ${r.latency?.p99Ms ?? 0} ms in the node`,
    `loop      event-loop delay p99 ${s.eventLoop?.p99Ms ?? 0} ms, max ${s.eventLoop?.maxMs ?? 0} ms; ${s.pendingHints ?? 0} hints waiting for their owners`,
  ];
}

/** "1 key", "3 keys". */
function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function client(argv: { endpoint: string; token?: string | undefined }): DynalabClient {
  return new DynalabClient(argv.endpoint, argv.token ? { token: argv.token } : {});
}

/** A coerce gets an array when the flag is repeated: refuse it by name (it crashed on `raw.trim`). */
function once(flag: string, raw: unknown): string {
  if (Array.isArray(raw)) throw new Error(`${flag} is given ${raw.length} times (${raw.join(', ')}); give it once`);
  return String(raw);
}

/**
 * A yargs coerce for a flag that takes a whole number ≥ 1, naming the flag and what was typed when it is not.
 * Decimal digits only, as the node takes them (Number() also took 0x10, 1e3 and " 10 " — a review).
 */
function wholeNumber(flag: string): (typed: string) => number {
  return (typed) => {
    const raw = once(flag, typed);
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < 1) throw new Error(`${flag} ${raw}: expected a whole number ≥ 1, digits only`);
    return value;
  };
}

function positiveNumber(flag: string): (typed: string) => number {
  return (typed) => {
    const raw = once(flag, typed);
    const value = Number(raw);
    if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(value) || value <= 0) throw new Error(`${flag} ${raw}: expected a positive number, digits only (fractions allowed: 0.5)`);
    return value;
  };
}

async function run(body: () => Promise<void>): Promise<void> {
  // `dynalab kv list | head`: cli/main.ts makes every one-shot command stop quietly (exitQuietlyOnClosedPipe).
  try {
    await body();
  } catch (error) {
    console.error(`dynalab kv: ${error instanceof DynalabHttpError ? error.message : (error as Error).message}`);
    process.exitCode = 1;
  }
}

/** A percent-encoded key as text, when it decodes to UTF-8 without control characters; else as it came. */
function readableKey(encoded: string): string {
  try {
    const text = decodeURIComponent(encoded);
    // eslint-disable-next-line no-control-regex
    return /[\x00-\x1f\x7f]/.test(text) ? encoded : text;
  } catch {
    return encoded;
  }
}

/** A value as text when it is printable UTF-8, else its size and base64. */
function show(value: Uint8Array): string {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(value);
    // eslint-disable-next-line no-control-regex
    if (!/[\x00-\x08\x0e-\x1f]/.test(text) && text.length <= 4096) return text;
  } catch {
    // not UTF-8: fall through
  }
  return `<${value.length} bytes, base64 ${Buffer.from(value.subarray(0, 48)).toString('base64')}${value.length > 48 ? '…' : ''}>`;
}

function getJson(result: GetResult) {
  return { ...result, values: result.values.map((v) => Buffer.from(v).toString('base64')) };
}

function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}
