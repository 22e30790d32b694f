import * as fs from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { MAX_TTL_MICROS } from '../../core/node';
import { DynalabClient, DynalabHttpError, type GetResult } from '../../real/client';
import { decodeKeyPath, encodeKeyPath, KeyPathError } from '../../real/key-path';

/**
 * `dynalab kv get|put|delete|list|status`: the HTTP client from the command line. The endpoint comes from
 * --endpoint, else $DYNALAB_ENDPOINT, else 127.0.0.1:8001 (deploy's first node); the token from --token or
 * $DYNALAB_TOKEN. Exit status: 0 done, 1 not found / refused / failed.
 */

/**
 * How keys are typed and printed (the kv help says it). Keys are bytes; a command line and a terminal carry
 * text. `kv list` printed a key as text whenever its escapes decoded to UTF-8, so the bytes `zz\xFF` (sent as
 * `zz%FF`, not UTF-8) and the text key `zz%FF` printed alike, and no argument reached the 0xFF key (a review).
 * Now a key is printed as itself only when that cannot be mistaken: UTF-8 text with no `%` and no control
 * character; any other key percent-encoded, which always shows a `%`. `--encoded` takes a key that way.
 */
const KEY_HELP =
  'Keys: get, put and delete take the key as text (list: the prefix); with --encoded, percent-encoded instead, ' +
  "%XX for a byte (--encoded 'zz%FF' is z, z and the byte 0xFF; --encoded 'zz%25FF' is the text zz%FF). " +
  'kv list prints a key as itself when it is UTF-8 text without % or control characters, and percent-encoded ' +
  'otherwise: a listed key that contains % is encoded. Any line kv list prints, passed with --encoded, names its key.';

const ENCODED_OPTION = { type: 'boolean', default: false, describe: 'the key is percent-encoded (%FF is the byte 0xFF), as kv list prints a key that contains %' } as const;
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
        (c) => c.positional('key', { type: 'string', demandOption: true }).option('r', { type: 'string', coerce: wholeNumber('--r', QUORUM_RANGE), describe: 'read quorum' })
          .option('raw', { type: 'boolean', default: false, describe: 'write only the value bytes to stdout' })
          .option('encoded', ENCODED_OPTION).epilog(KEY_HELP),
        (argv) => run(async () => {
          const result = await client(argv).get(keyArgument(argv.key, argv.encoded), argv.r === undefined ? {} : { r: argv.r });
          if (argv.json) {
            printJson(getJson(result));
            if (!result.found) process.exitCode = 1; // as without --json: a script can test the exit status
            return;
          }
          if (!result.found) {
            // `kv get zz%FF` reads the text key zz%FF; the one that prints that way in kv list is another.
            const asText = !argv.encoded && /%[0-9A-Fa-f]{2}/.test(argv.key) ? `; '${argv.key}' was taken as text — for the key it percent-encodes, add --encoded` : '';
            console.error(`not found${result.context ? ` (context ${result.context})` : ''}${asText}`);
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
          .option('w', { type: 'string', coerce: wholeNumber('--w', QUORUM_RANGE), describe: 'write quorum' })
          .option('ttl', { type: 'string', coerce: ttlSeconds('--ttl'), describe: 'time to live, seconds' })
          .option('if-match', { type: 'string', describe: 'compare-and-set: only if the current etag is this (* = only if it has a value)' })
          .option('if-absent', { type: 'boolean', describe: 'only if the key has no value' })
          .option('encoded', ENCODED_OPTION)
          .conflicts('if-match', 'if-absent').epilog(KEY_HELP),
        (argv) => run(async () => {
          if (argv.value !== undefined && argv.file !== undefined) throw new Error(`give the value once: as an argument or with --file ${argv.file}, not both`);
          const value = argv.value !== undefined ? argv.value : argv.file !== undefined ? fs.readFileSync(argv.file) : fs.readFileSync(0);
          const reply = await client(argv).put(keyArgument(argv.key, argv.encoded), typeof value === 'string' ? value : new Uint8Array(value), {
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
          .option('w', { type: 'string', coerce: wholeNumber('--w', QUORUM_RANGE), describe: 'write quorum' })
          .option('encoded', ENCODED_OPTION).epilog(KEY_HELP),
        (argv) => run(async () => {
          const reply = await client(argv).delete(keyArgument(argv.key, argv.encoded), {
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
        (c) => c.positional('prefix', { type: 'string', default: '' }).option('limit', { type: 'string', coerce: wholeNumber('--limit', LIMIT_RANGE), describe: 'at most this many keys' })
          .option('encoded', { ...ENCODED_OPTION, describe: 'the prefix is percent-encoded (%FF is the byte 0xFF)' }).epilog(KEY_HELP),
        (argv) => run(async () => {
          const result = await client(argv).list(keyArgument(argv.prefix, argv.encoded, 'prefix'), argv.limit === undefined ? {} : { limit: argv.limit });
          if (argv.json) return printJson(result);
          // Keys travel percent-encoded; each is printed so that no two keys look alike (listedKey).
          let encoded = 0;
          for (const key of result.keys) {
            const shown = listedKey(key);
            if (shown.encoded) encoded++;
            console.log(shown.text);
          }
          const encodedNote = encoded > 0 ? `; ${encoded} shown percent-encoded (not UTF-8 text, or with % or control characters): name ${encoded === 1 ? 'it' : 'them'} with --encoded` : '';
          console.error(`${plural(result.keys.length, 'key')} from ${result.answered} of ${plural(result.asked, 'node')}${result.truncated ? ' (truncated)' : ''}${result.missing.length ? `; no answer from ${result.missing.join(', ')}` : ''}${encodedNote}`);
        }),
      )
      .command('status', 'a node\'s status: peers, storage, requests (--json: every counter)', (c) => c, (argv) => run(async () => {
        const status = await client(argv).status();
        if (argv.json) return printJson(status);
        for (const line of statusLines(status as StatusShape)) console.log(line);
      }))
      .demandCommand(1, 'name a kv command: get, put, delete, list, status')
      .epilog(KEY_HELP),
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
 * The ranges the node holds r, w and limit to, for the CLI's own message when a number is too long to send:
 * the node reads at most 9 digits, and its answer to more — "must be a whole number, digits only" — was
 * wrong about what had been typed (a review: `--w 9999999999`, `--limit 1000000000`). Shorter numbers go to
 * the node, which checks the range and says so (r and w against the cluster's n, which only it knows).
 */
const QUORUM_RANGE = 'between 1 and n, the number of replicas of a key';
const LIMIT_RANGE = 'between 1 and 100000';
const MAX_DIGITS = 9;

/**
 * A yargs coerce for a flag that takes a whole number ≥ 1, naming the flag and what was typed when it is not.
 * Decimal digits only, as the node takes them (Number() also took 0x10, 1e3 and " 10 " — a review).
 */
function wholeNumber(flag: string, range: string): (typed: string) => number {
  return (typed) => {
    const raw = once(flag, typed);
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < 1) throw new Error(`${flag} ${raw}: expected a whole number ≥ 1, digits only`);
    if (raw.replace(/^0+/, '').length > MAX_DIGITS) throw new Error(`${flag} ${raw}: too large: must be ${range}`);
    return value;
  };
}

/** The longest ttl, in seconds: the node's bound (50 years). */
const MAX_TTL_SECONDS = MAX_TTL_MICROS / 1_000_000;

/**
 * `--ttl`: seconds, decimal digits with an optional fraction, from 1 µs to 50 years. Both ends are checked here
 * to name the number typed: a ttl under 1 µs reached the node as `ttl=0` and came back as "ttl=0 must be a
 * positive number" (a review), and one of 21 digits or more would reach it rounded.
 */
function ttlSeconds(flag: string): (typed: string) => number {
  return (typed) => {
    const raw = once(flag, typed);
    if (!/^\d+(\.\d+)?$/.test(raw)) throw new Error(`${flag} ${raw}: expected a positive number, digits only (fractions allowed: 0.5)`);
    const value = Number(raw);
    if (value <= 0) throw new Error(`${flag} ${raw}: expected a positive number of seconds`);
    if (Math.round(value * 1e6) < 1) throw new Error(`${flag} ${raw}: rounds to 0 µs; the shortest ttl is 0.000001 s (1 µs)`);
    if (value > MAX_TTL_SECONDS) throw new Error(`${flag} ${raw}: too long: the longest ttl is ${MAX_TTL_SECONDS} s (50 years)`);
    return value;
  };
}

/**
 * A key (or prefix) from the command line: the text typed, or with --encoded the bytes it percent-encodes —
 * read as the node reads a key path, so any key `kv list` prints, passed with --encoded, is that key.
 */
export function keyArgument(typed: string, encoded: boolean, what: 'key' | 'prefix' = 'key'): string | Uint8Array {
  if (!encoded) return typed;
  try {
    return decodeKeyPath(typed, what);
  } catch (error) {
    if (error instanceof KeyPathError) throw new Error(`--encoded ${what} '${typed}': ${error.message}`);
    throw error;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A key as `kv list` prints it, from its percent-encoded form in the listing: as itself when it is UTF-8 text
 * with no `%` and no control character (C0, DEL or C1), else percent-encoded (`encoded`), which always shows a
 * `%` — so no printed key can be mistaken for another, and `kv get --encoded` takes any of them.
 */
export function listedKey(fromListing: string): { text: string; encoded: boolean } {
  let bytes: Uint8Array;
  try {
    bytes = decodeKeyPath(fromListing);
  } catch {
    return { text: fromListing, encoded: true }; // not from a node of this version: shown as it came
  }
  try {
    const text = strictUtf8.decode(bytes);
    if (!/[%\p{Cc}]/u.test(text)) return { text, encoded: false };
  } catch {
    // not UTF-8: encoded below
  }
  return { text: encodeKeyPath(bytes), encoded: true };
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
