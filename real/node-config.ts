import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { isMap, isNode, isScalar, LineCounter, parseDocument, stringify } from 'yaml';
import { z } from 'zod';
import { vnodeCount } from '../core/ring/tokens';
import { DEFAULT_MAX_BODY_MIB_IN_FLIGHT, DEFAULT_MAX_IN_FLIGHT } from './admission';

/**
 * One real node's configuration file (YAML), validated with zod. A bad file is rejected with every problem
 * at once, each naming the file, line, field and what is wrong, e.g.
 * `node-a.yaml:7:3: members.1.tcp: expected host:port, got "localhost"`.
 *
 * ```yaml
 * id: a                       # this node; must appear in members
 * listen:
 *   http: 127.0.0.1:8001      # client API (binds loopback unless told otherwise)
 *   tcp: 127.0.0.1:9001       # node-to-node transport
 * dataDir: ./data/a           # relative to this file's directory
 * secret: change-me-please    # shared by every member (≥ 16 characters); proves membership
 * token: s3cr3t               # optional: clients must send "Authorization: Bearer s3cr3t"
 * members:                    # the static member list (no gossip yet): every node, same list everywhere
 *   - { id: a, tcp: 127.0.0.1:9001, http: 127.0.0.1:8001 }
 *   - { id: b, tcp: 127.0.0.1:9002, http: 127.0.0.1:8002 }
 *   - { id: c, tcp: 127.0.0.1:9003, http: 127.0.0.1:8003 }
 * n: 3
 * r: 2
 * w: 2
 * conflict: vclock            # or lww
 * antiEntropyIntervalMs: 600000   # Merkle exchange with one peer every 10 min (0 = off)
 * maxInFlightRequests: 4096   # key requests in progress beyond which new ones get 503 "overloaded"
 * maxInFlightBodyMiB: 64      # and request bodies in progress (declared sizes) beyond which a PUT gets the same
 * storage:                    # optional; the defaults
 *   memtableMiB: 64           # the node draws its memtable size from 75–100 % of this (see node-process.ts)
 *   blockCacheMiB: 8
 *   compaction: leveled       # or size-tiered
 *   tableSyncMiB: 1           # fsync a table being written every this many MiB (0 = only when complete)
 *   backgroundDutyCycle: 0.33 # share of the thread flush and compaction may take (1 = back to back)
 *   tombstoneGraceHours: 240  # (at least 3, the hint window) a dead record (deleted or expired) is kept this long, then dropped: run
 *                             # anti-entropy (or reads at R = N) more often, or a replica cut off longer
 *                             # than this can bring a deleted value back (Cassandra's gc_grace, 10 days)
 * ```
 * Every member must be configured with the same members, vnodes, n and conflict mode: the ring is computed
 * from them, and nodes that disagree would place keys differently.
 *
 * Addresses: `listen.tcp` is where this node binds, its own entry in `members` is where peers dial it, so the
 * two must agree. Their ports must be equal. Their hosts are compared only when `listen.tcp` names one
 * specific IP address and the member entry is an IP address too: binding every interface (0.0.0.0 or ::) is
 * fine whatever address peers use, and a host name cannot be compared with an address without a DNS lookup.
 * No two members may have the same tcp address (one of them would never be reached).
 */
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;
const hostPort = z
  .string()
  // Dots inside brackets: an IPv4-mapped IPv6 address, [::ffff:127.0.0.1]:9001 (a review found it refused).
  .regex(HOST_PORT, { message: 'expected host:port, e.g. 127.0.0.1:9001' })
  .refine((value) => {
    if (!HOST_PORT.test(value)) return true; // already reported as not host:port
    const host = value.slice(0, value.lastIndexOf(':'));
    return !host.startsWith('[') || net.isIPv6(host.slice(1, -1));
  }, { message: 'not an IPv6 address inside the brackets' })
  .refine((value) => {
    if (!value.includes(':')) return true; // already reported as not host:port
    const port = Number(value.slice(value.lastIndexOf(':') + 1));
    return port >= 1 && port <= 65_535;
  }, { message: 'port must be between 1 and 65535' });

/**
 * The cluster secret: at least 16 characters, and not whitespace at either end — a secret of 16 spaces was
 * accepted (a review), and a space or tab at an end is easily lost or added when the secret is copied into
 * another member's file, which then fails every handshake with nothing but "auth failure" to go on.
 */
const secret = z.string().superRefine((value, ctx) => {
  let message: string | null = null;
  if (value.length > 0 && value.trim().length === 0) message = 'the cluster secret is only whitespace; use a long random string';
  else if (value.trim() !== value) message = 'the cluster secret begins or ends with whitespace (easily lost when it is copied to another member); remove it';
  else if (value.length < 16) message = 'the cluster secret must be at least 16 characters';
  if (message !== null) ctx.addIssue({ code: 'custom', message });
});

const DUTY_CYCLE_RANGE = { message: 'must be > 0 and ≤ 1 (1 = back to back)' };

/**
 * Bounds on the ring a config asks for. Each member gets round(vnodes × weight) tokens (core/ring/tokens.ts),
 * and the weight had no upper bound: found by a review, weight 1e6 (64 M tokens) took 12 s and 1.3 GB to
 * start, and 1e8 failed with "Invalid typed array length". Decision: at most 65 536 tokens per member — 16×
 * the largest `vnodes` at weight 1, or weight 1024 at the default 64 vnodes, far past any capacity ratio one
 * cluster's machines have — and at most 1 048 576 in the whole ring (256 members at vnodes 4096; 16 members at
 * the per-member bound started in 0.2 s, 131 MB). Weights are relative, so a config over the bound scales
 * them down.
 */
export const MAX_VNODES_PER_MEMBER = 65_536;
export const MAX_RING_VNODES = 1_048_576;

/**
 * `~` is a shell's expansion, not a path: `dataDir: ~/data` became <config dir>/~/data and the node started
 * on an empty directory there without a word (found by a review). Decision: refused, not expanded — under a
 * service manager HOME is often not the operator's, and `~user` would need a password-database lookup — with
 * the full path to write instead. `./~/data` names a directory called ~ on purpose.
 */
function tildeMessage(value: string, resolved: string): string {
  const slash = value.indexOf('/');
  const user = value.slice(1, slash < 0 ? undefined : slash);
  const rest = slash < 0 ? '' : value.slice(slash);
  const example = user === '' ? `, e.g. ${os.homedir()}${rest}` : ` (~${user} is ${user}'s home directory)`;
  return `'~' is not expanded here (this would be ${resolved}); write the path in full${example}, or ./${value} for a directory named ${value.slice(0, slash < 0 ? undefined : slash)}`;
}
const TILDE_PLACEHOLDER = '<config dir>/';

const dataDir = z
  .string()
  .min(1)
  .superRefine((value, ctx) => {
    if (value.startsWith('~')) ctx.addIssue({ code: 'custom', message: tildeMessage(value, `${TILDE_PLACEHOLDER}${value}`) });
  });

/** Relative capacity; bounded with vnodes by the cross checks (MAX_VNODES_PER_MEMBER). */
const memberWeight = z.number().positive().optional();

const nodeId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'node ids are 1–64 characters of A-Z a-z 0-9 _ . -' });

const configObject = z
  .strictObject({
    id: nodeId,
    listen: z.strictObject({ http: hostPort, tcp: hostPort }),
    dataDir,
    secret,
    token: z.string().min(1).optional(),
    members: z
      .array(z.strictObject({ id: nodeId, tcp: hostPort, http: hostPort.optional(), weight: memberWeight }))
      .min(1),
    n: z.number().int().min(1).default(3),
    r: z.number().int().min(1).default(2),
    w: z.number().int().min(1).default(2),
    conflict: z.enum(['vclock', 'lww']).default('vclock'),
    vnodes: z.number().int().min(1).max(4096).default(64),
    requestTimeoutMs: z.number().int().min(10).max(60_000).default(500),
    /**
     * Merkle anti-entropy with one peer replica every this many ms (0 = off). Default 10 minutes: each
     * exchange scans the node's records once, cheap for the small stores real mode is for (the seeds'
     * 500-node cluster runs it weekly).
     */
    antiEntropyIntervalMs: z.number().int().min(0).default(600_000),
    /** Admission control (see real/http-server.ts): past this many key requests in progress, answer 503. */
    maxInFlightRequests: z.number().int().min(1).max(1_000_000).default(DEFAULT_MAX_IN_FLIGHT),
    /** And past this many MiB of their request bodies (declared sizes) a request with a body gets the same 503. */
    maxInFlightBodyMiB: z.number().int().min(1).max(65_536).default(DEFAULT_MAX_BODY_MIB_IN_FLIGHT),
    /**
     * HTTP client connections open at once; past it a new connection is closed as it arrives (and logged).
     * Default: 10 000, or the open-file limit minus 512 if that is lower (real/fd-limit.ts).
     */
    maxConnections: z.number().int().min(1).max(1_000_000).optional(),
    /** The LSM engine's knobs a deployment may want to turn (core/storage/options.ts says what each does). */
    storage: z
      .strictObject({
        memtableMiB: z.number().positive().max(4096).default(64),
        blockCacheMiB: z.number().min(0).max(65_536).default(8),
        compaction: z.enum(['leveled', 'size-tiered']).default('leveled'),
        tableSyncMiB: z.number().min(0).default(1),
        // A serving node gives flush and compaction a third of its thread while requests are waiting: on the
        // 3-node bench a flush inside the half-load phase then cost p99 26–30 ms instead of 59–172 ms.
        backgroundDutyCycle: z.number().gt(0, DUTY_CYCLE_RANGE).max(1, DUTY_CYCLE_RANGE).default(0.33),
        // At least the hint window (3 h, core/node.ts hintWindowMicros): a hint can be delivered up to that long
        // after its write, and one delivered after its key's tombstone was dropped brings the deleted value back
        // (Cassandra's advice: gc_grace longer than max_hint_window). Zero was accepted before.
        tombstoneGraceHours: z
          .number()
          .min(3, { message: 'must be at least 3 (hours): a hint is delivered up to 3 h after its write, and one that arrives after a deleted key\'s tombstone was dropped brings the value back' })
          .max(24 * 365 * 10)
          .default(240),
      })
      .prefault({}),
  });

// zod runs this on a config whose fields failed too (n: 0 still reaches it); crossFieldInput keeps only the
// valid fields, so that no check reads an invalid one.
export const nodeConfigSchema = configObject.superRefine((config, ctx) => crossFieldChecks(crossFieldInput(config), (path, message) => ctx.addIssue({ code: 'custom', path, message })));

/**
 * The checks across fields. They also run, from parseNodeConfig, on a config whose other fields are wrong, as
 * long as the fields they read are valid: a config with both kinds of problem gets all of them in one round
 * (found by a review: r > n and a duplicate address showed only after the field errors were fixed). A check
 * that reads an invalid field is skipped: with `n: 0`, "r=2 cannot exceed n=0" (about a default r not even
 * in the file) came after the n error itself (a review).
 */
/**
 * What the cross checks read. Each field may be missing (it was invalid, and is reported on its own); a
 * member's `id` or `tcp` is undefined when that part of its entry was invalid; `members` is missing when the
 * list itself is invalid (not a list, or empty).
 */
interface CrossFieldInput {
  id?: string | undefined;
  members?: { id?: string | undefined; tcp?: string | undefined; http?: string | undefined; weight?: number | undefined }[] | undefined;
  listen?: { tcp?: string | undefined; http?: string | undefined } | undefined;
  vnodes?: number | undefined;
  n?: number | undefined;
  r?: number | undefined;
  w?: number | undefined;
}

function crossFieldChecks(config: CrossFieldInput, add: (path: (string | number)[], message: string) => void): void {
  const members = config.members;
  if (members !== undefined) {
    const ids = members.map((m) => m.id);
    ids.forEach((id, i) => {
      if (id !== undefined && ids.indexOf(id) !== i) add(['members', i, 'id'], `member '${id}' is listed twice`);
    });
    const allIds = ids.every((id) => id !== undefined);
    if (config.id !== undefined && allIds && !ids.includes(config.id)) add(['id'], `node '${config.id}' is not in members (${ids.join(', ')})`);
    const self = config.id === undefined ? -1 : members.findIndex((m) => m.id === config.id);
    const advertised = self >= 0 ? members[self]!.tcp : undefined;
    const listening = config.listen?.tcp;
    if (listening !== undefined && validAddress(listening) && validAddress(advertised)) {
      const mismatch = listenMismatch(listening, advertised);
      if (mismatch !== null) {
        add(
          ['listen', 'tcp'],
          `${mismatch} differs from this node's entry in members (members.${self}.tcp: ${advertised}), the address peers dial; make them agree` +
            (mismatch.startsWith('address') ? ` (or listen on ${net.isIPv6(splitHostPort(advertised).host) ? '[::]' : '0.0.0.0'}:${splitHostPort(advertised).port} to bind every interface)` : ''),
        );
      }
    }
    const seenTcp = new Map<string, number>();
    members.forEach((member, i) => {
      if (!validAddress(member.tcp)) return; // reported already
      const key = addressKey(member.tcp);
      const first = seenTcp.get(key);
      if (first === undefined) seenTcp.set(key, i);
      else add(['members', i, 'tcp'], `'${member.id ?? `members.${i}`}' has the same tcp address as '${members[first]!.id ?? `members.${first}`}' (members.${first}.tcp: ${members[first]!.tcp}); every member needs its own`);
    });
    // A member's http address is only reported (in /v1/status), but one shared with another member, or with a
    // member's node port, is a copy-paste slip that a deployment from this list would trip over (a review).
    const seenHttp = new Map<string, number>();
    members.forEach((member, i) => {
      if (!validAddress(member.http)) return; // absent (optional), or reported already
      const key = addressKey(member.http);
      const name = (j: number) => members[j]!.id ?? `members.${j}`;
      const first = seenHttp.get(key);
      const onTcp = seenTcp.get(key);
      if (onTcp !== undefined) add(['members', i, 'http'], `'${name(i)}' has its http address on the tcp address of '${name(onTcp)}' (members.${onTcp}.tcp: ${members[onTcp]!.tcp}); every address serves one purpose`);
      else if (first !== undefined) add(['members', i, 'http'], `'${name(i)}' has the same http address as '${name(first)}' (members.${first}.http: ${members[first]!.http}); every member needs its own`);
      else seenHttp.set(key, i);
    });
    if (config.vnodes !== undefined) {
      const vnodes = config.vnodes;
      let total = 0;
      let overOne = false;
      members.forEach((member, i) => {
        const count = vnodeCount(vnodes, member.weight ?? 1);
        total += count;
        if (member.weight !== undefined && !(count <= MAX_VNODES_PER_MEMBER)) {
          overOne = true;
          const maxWeight = Math.floor((MAX_VNODES_PER_MEMBER / vnodes) * 100) / 100;
          add(
            ['members', i, 'weight'],
            `weight ${member.weight} gives member '${member.id ?? `members.${i}`}' ${count} vnodes (vnodes ${vnodes} × weight); at most ${MAX_VNODES_PER_MEMBER} per member — ` +
              `with vnodes ${vnodes} a weight of at most ${maxWeight} (weights are relative: scale them all down together)`,
          );
        }
      });
      if (!overOne && total > MAX_RING_VNODES) {
        add(['members'], `the ring would have ${total} vnodes (vnodes ${vnodes} × the members' weights); at most ${MAX_RING_VNODES}: lower vnodes or the weights`);
      }
    }
    if (config.n !== undefined && config.n > members.length) add(['n'], `n=${config.n} exceeds the ${members.length} members`);
  }
  const httpListen = config.listen?.http;
  const tcpListen = config.listen?.tcp;
  if (validAddress(httpListen) && validAddress(tcpListen)) {
    // Found by a review: accepted, then the node opened its storage and failed to bind HTTP with "address
    // already in use (another process holds this port…)" — its own node port.
    const overlap = listenOverlap(httpListen, tcpListen);
    if (overlap === 'same') add(['listen', 'http'], `same address as listen.tcp (${tcpListen}); give the HTTP API a port of its own`);
    else if (overlap !== null) add(['listen', 'http'], `${httpListen} overlaps listen.tcp (${tcpListen}): same port, and ${overlap} binds every address; give the HTTP API a port of its own`);
  }
  if (config.n !== undefined && config.r !== undefined && config.r > config.n) add(['r'], `r=${config.r} cannot exceed n=${config.n}`);
  if (config.n !== undefined && config.w !== undefined && config.w > config.n) add(['w'], `w=${config.w} cannot exceed n=${config.n}`);
}

/**
 * The fields the cross checks read, each parsed on its own (defaults applied), for a config that failed as a
 * whole: a field that is invalid is left out (it has its own error), and so is a member entry's invalid part.
 */
function crossFieldInput(raw: unknown): CrossFieldInput {
  const fields = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const shape = configObject.shape;
  const value = <T>(schema: z.ZodType<T>, input: unknown): T | undefined => {
    const result = schema.safeParse(input);
    return result.success ? result.data : undefined;
  };
  const rawMembers = Array.isArray(fields['members']) && fields['members'].length >= 1 ? (fields['members'] as unknown[]) : undefined;
  const members = rawMembers?.map((entry) => {
    const record = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : {};
    return { id: value(nodeId, record['id']), tcp: value(hostPort, record['tcp']), http: value(hostPort, record['http']), weight: value(memberWeight, record['weight']) };
  });
  const listen = typeof fields['listen'] === 'object' && fields['listen'] !== null ? (fields['listen'] as Record<string, unknown>) : {};
  return {
    id: value(shape.id, fields['id']),
    members,
    listen: { tcp: value(hostPort, listen['tcp']), http: value(hostPort, listen['http']) },
    vnodes: value(shape.vnodes, fields['vnodes']),
    n: value(shape.n, fields['n']),
    r: value(shape.r, fields['r']),
    w: value(shape.w, fields['w']),
  };
}

export type RealNodeConfig = z.output<typeof nodeConfigSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid node config:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses a config's text; `dataDir` is resolved against `baseDir` (the config file's directory). */
export function parseNodeConfig(text: string, fileName = 'node.yaml', baseDir = '.'): RealNodeConfig {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    throw new ConfigError(document.errors.map((error) => {
      const p = lineCounter.linePos(error.pos[0]);
      return `${fileName}:${p.line}:${p.col}: YAML: ${error.message.split('\n')[0]}`;
    }));
  }
  const raw: unknown = document.toJS();
  const parsed = nodeConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues: { path: PropertyKey[]; message: string; code?: string; keys?: string[] }[] = [...parsed.error.issues];
    // The checks across fields run only on a config that parsed; run them here on the fields they read, when
    // those are valid, so both kinds of problem come in one round.
    // (When only cross checks failed, the schema's own run reported them already: each is listed once.)
    const seen = new Set(issues.map((issue) => `${issue.path.map(String).join('.')}\u0000${issue.message}`));
    crossFieldChecks(crossFieldInput(raw), (path, message) => {
      if (!seen.has(`${path.map(String).join('.')}\u0000${message}`)) issues.push({ path, message, code: 'custom' });
    });
    throw new ConfigError(issues.map((issue) => {
      const where = (fieldPath: (string | number)[]): string => {
        for (let depth = fieldPath.length; depth >= 0; depth--) {
          const node = document.getIn(fieldPath.slice(0, depth), true);
          if (isNode(node) && node.range) {
            const p = lineCounter.linePos(node.range[0]);
            return `:${p.line}:${p.col}`;
          }
        }
        return '';
      };
      const fieldPath = issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part));
      let located = where(fieldPath);
      if (issue.code === 'unrecognized_keys') {
        const map = fieldPath.length === 0 ? document.contents : document.getIn(fieldPath, true);
        const pair = isMap(map) ? map.items.find((item) => isScalar(item.key) && item.key.value === issue.keys?.[0]) : undefined;
        if (pair && isScalar(pair.key) && pair.key.range) {
          const p = lineCounter.linePos(pair.key.range[0]);
          located = `:${p.line}:${p.col}`;
        }
      }
      const field = fieldPath.length > 0 ? fieldPath.join('.') : '(top level)';
      let message = issue.code === 'invalid_type' && /received undefined$/.test(issue.message) ? 'required field is missing' : issue.message;
      // YAML reads a bare ~ (or nothing) as null: `dataDir: ~` said only "expected string, received null".
      if (issue.code === 'invalid_type' && /received null$/.test(issue.message)) message += ' (YAML reads a bare ~ or an empty value as null; quote a value meant as text)';
      // The schema does not know the file's directory; here the refused dataDir's would-be path is named in full.
      if (field === 'dataDir' && typeof (raw as Record<string, unknown>)['dataDir'] === 'string') {
        const value = (raw as Record<string, string>)['dataDir']!;
        message = message.replace(`(this would be ${TILDE_PLACEHOLDER}${value})`, `(this would be ${path.resolve(baseDir, value)})`);
      }
      // A cross check on r or w when the file leaves it out: the value is the default, which the line (1:1) does not show.
      const top = fieldPath[0];
      if (issue.code === 'custom' && fieldPath.length === 1 && (top === 'r' || top === 'w') && isMap(document.contents) && !document.contents.has(top)) {
        message += ` (${top} is not in the file: that is its default; set ${top})`;
      }
      return `${fileName}${located}: ${field}: ${message}`;
    }));
  }
  return { ...parsed.data, dataDir: path.resolve(baseDir, parsed.data.dataDir) };
}

export function loadNodeConfig(file: string): RealNodeConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`${file}: cannot read the config file: ${(error as Error).message}`]);
  }
  return parseNodeConfig(text, file, path.dirname(path.resolve(file)));
}

export function formatNodeConfig(config: z.input<typeof nodeConfigSchema>): string {
  return stringify(config, { flowCollectionPadding: true });
}

/** A host in a comparable form: lower case; IP addresses canonical (IPv6 compressed, IPv4-mapped unwrapped). */
function canonicalHost(host: string): string {
  const lower = host.toLowerCase();
  if (net.isIPv6(lower)) {
    const canonical = new URL(`http://[${lower}]/`).hostname.slice(1, -1);
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
    if (mapped) {
      const high = parseInt(mapped[1]!, 16);
      const low = parseInt(mapped[2]!, 16);
      return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
    }
    return canonical;
  }
  return lower;
}

function addressKey(address: string): string {
  const { host, port } = splitHostPort(address);
  return `${canonicalHost(host)}|${port}`;
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::']);

const validAddress = (address: unknown): address is string => typeof address === 'string' && hostPort.safeParse(address).success;

/**
 * What of `listen` (listen.tcp) would not answer peers dialling `advertised` (this node's member entry):
 * "port 9002" or "address 10.0.0.2", or null when it would. Hosts are compared only when listen binds one
 * specific IP address and the member entry is an IP address too.
 */
function listenMismatch(listen: string, advertised: string): string | null {
  const bound = splitHostPort(listen);
  const dialled = splitHostPort(advertised);
  if (bound.port !== dialled.port) return `port ${bound.port}`;
  const boundHost = canonicalHost(bound.host);
  const dialledHost = canonicalHost(dialled.host);
  if (WILDCARD_HOSTS.has(boundHost) || net.isIP(boundHost) === 0 || net.isIP(dialledHost) === 0) return null;
  return boundHost === dialledHost ? null : `address ${bound.host}`;
}

/**
 * Whether two listen addresses of one node would collide: 'same' address, the wildcard host ('0.0.0.0' or
 * '::', which on Linux also takes the port on every IPv4 address) that makes the same port overlap, or null.
 * Host names are compared as written (no DNS lookup).
 */
function listenOverlap(a: string, b: string): 'same' | string | null {
  const first = splitHostPort(a);
  const second = splitHostPort(b);
  if (first.port !== second.port) return null;
  const firstHost = canonicalHost(first.host);
  const secondHost = canonicalHost(second.host);
  if (firstHost === secondHost) return 'same';
  if (WILDCARD_HOSTS.has(firstHost)) return first.host;
  if (WILDCARD_HOSTS.has(secondHost)) return second.host;
  return null;
}

/** Splits "host:port" (already validated); IPv6 brackets are removed. */
export function splitHostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(colon + 1)) };
}
