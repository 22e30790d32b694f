import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * One node per data directory. Two processes on one directory (a copied config with other ports, a second
 * `serve` started by mistake) would each flush, compact and delete the other's WAL and MANIFEST files, and
 * acknowledged writes would be lost. So a node takes a lock file, `LOCK` in its data directory, before it
 * opens the storage engine, and removes it when it stops cleanly.
 *
 * Decision: a pid lock file, as PostgreSQL's `postmaster.pid`. node:fs has no flock/fcntl lock, and a native
 * addon for one is more than this needs. The file is created exclusively (`open(…, 'wx')`, i.e. O_CREAT|O_EXCL)
 * and holds `pid hostname`. When it already exists:
 *   - its pid is alive on this host (`kill(pid, 0)` succeeds or fails with EPERM), is not this process, and
 *     holds the LOCK file open (a holder keeps it open for its whole life; /proc/<pid>/fd shows it, compared
 *     by device and inode, so a holder that came through a bind mount counts — where /proc cannot be read, it
 *     is assumed to): refused, naming the directory, the pid and what to do;
 *   - its pid is alive but does not hold the file open (the pid was reused after a crash — in a container
 *     that is restarted, small pids come back at once): stale, taken over;
 *   - its pid is dead — a node killed with kill -9, or a machine that crashed — so the lock is stale: taken
 *     over at once (restarting a killed node on its directory must keep working);
 *   - its pid is this process's own but no node in this process holds the directory: a leftover of a node
 *     started in this process that never stopped cleanly (tests run several nodes in one process); taken over;
 *   - it names another host (shared storage, or a container recreated on the same volume, which gets a new
 *     host name): this host cannot ask whether that process runs, so the holder proves it — a node touches
 *     its LOCK every 5 s — and a LOCK from another host untouched for 30 s is stale and taken over, one
 *     refreshed more recently is refused;
 *   - it is empty or unreadable: another process may be between creating and writing it, so it is re-read
 *     for up to a second before being treated as stale (a crash in that window leaves such a file).
 * Within one process, directories already locked are remembered, so two nodes of one process are refused too.
 *
 * A holder checks every second that the LOCK is still its own (the file it holds open still has a name, and
 * says its pid), and calls `onLost` when it is not — a node on another host that was stopped (SIGSTOP) for
 * more than 30 s looks gone, and its LOCK is taken over; when it resumes it must stop before it writes
 * again (node-process.ts exits at once). Acknowledgements wait for an fsync, whose completion comes a turn
 * of the event loop after the timers, so a resumed node notices before it acknowledges anything new.
 * Two processes taking over the same stale lock at the same instant could, in a window of microseconds, both
 * believe they hold it; the takeover re-reads the file just before removing it to keep that window small.
 */
export const LOCK_FILE = 'LOCK';

export class DataDirLockedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  readonly file: string;
  /** Removes the lock file (if it is still ours). Idempotent. */
  release(): void;
}

/** Directories (real paths) locked by this process. */
const heldHere = new Set<string>();

const EMPTY_GRACE_MS = 1000;
/** How often a holder touches its LOCK, and after how long without a touch another host's LOCK is stale. */
const LOCK_HEARTBEAT_MS = 5_000;
/** While the LOCK cannot be checked, how often that is said (the check itself keeps running every second). */
const CHECK_FAILED_WARNING_EVERY_MS = 5_000;
const LOCK_STALE_AFTER_MS = 30_000;

export interface LockOptions {
  heartbeatMs?: number;
  staleAfterMs?: number;
  /** Called once when the LOCK stops being this holder's (another process took it over). */
  onLost?: (reason: string) => void;
  /** Called (at most every 5 s) while the LOCK cannot be checked, before that becomes a loss. */
  onCheckFailed?: (reason: string) => void;
}

/** How often a holder checks that its LOCK is still its own. */
const OWNERSHIP_CHECK_MS = 1_000;

/**
 * Whether the live process `pid` holds `file` open (false only when /proc says it does not).
 *
 * Compared by device and inode, not by the path /proc/<pid>/fd/N reads as: found by a review, a holder that
 * reached the directory by another path (a bind mount, a hard link) showed another string, looked like a reused
 * pid, and its live LOCK was taken over. stat() of /proc/<pid>/fd/N follows the link to the open file itself
 * whatever its name, deleted or not.
 */
function holdsOpen(pid: number, file: string): boolean {
  let target: fs.Stats;
  try {
    target = fs.statSync(file);
  } catch (error) {
    // Gone meanwhile: nobody holds it (the caller re-reads it before removing anything). Anything else: cannot tell.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return true; // cannot tell (no /proc, another user's process): assume it does
  }
  for (const fd of fds) {
    try {
      const open = fs.statSync(`/proc/${pid}/fd/${fd}`);
      if (open.ino === target.ino && open.dev === target.dev) return true;
    } catch {
      // closed meanwhile, or not a file this process may stat
    }
  }
  return false;
}

/** Milliseconds since `file` was last touched, or Infinity when it cannot be read. */
function ageMs(file: string): number {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

interface Holder {
  pid: number;
  host: string;
}

function parse(content: string): Holder | null {
  const match = /^(\d+) (\S+)\s*$/.exec(content);
  if (match === null) return null;
  const pid = Number(match[1]);
  return pid > 0 && Number.isSafeInteger(pid) ? { pid, host: match[2]! } : null;
}

/** True if a process with this pid exists on this host (EPERM: it exists, owned by another user). */
export function pidAlive(pid: number): boolean {
  if (!(pid > 0)) return false; // kill(0 or negative) would signal process groups
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readIfExists(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Locks `dataDir` (created if missing) for this process, or throws a DataDirLockedError saying who holds it
 * and what to do.
 */
export async function lockDataDir(dataDir: string, options: LockOptions = {}): Promise<DataDirLock> {
  try {
    return await lockDataDirOnce(dataDir, options);
  } catch (error) {
    if (error instanceof DataDirLockedError || error instanceof LockFileError) throw error;
    // A read-only mount, a directory owned by someone else: say which directory and what to check, not a bare
    // "EROFS: read-only file system, unlink …" (found by a review).
    throw new Error(`cannot use data dir ${dataDir}: ${(error as Error).message} (${unwritableReason(error) ?? 'see the error'}; a node needs to write its data directory)`);
  }
}

/** The LOCK file itself could not be created (its message says why): passed on as it is. */
class LockFileError extends Error {}

/** Why a directory cannot be written, for the errno codes that have a plain answer; null for the rest. */
function unwritableReason(error: unknown): string | null {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EROFS') return 'the data directory is on a read-only filesystem';
  if (code === 'EACCES' || code === 'EPERM') return 'this user may not write the data directory';
  return null;
}

async function lockDataDirOnce(dataDir: string, options: LockOptions): Promise<DataDirLock> {
  const heartbeatMs = options.heartbeatMs ?? LOCK_HEARTBEAT_MS;
  const staleAfterMs = options.staleAfterMs ?? LOCK_STALE_AFTER_MS;
  fs.mkdirSync(dataDir, { recursive: true });
  const dir = fs.realpathSync(dataDir);
  const file = path.join(dir, LOCK_FILE);
  const host = os.hostname();
  const content = `${process.pid} ${host}\n`;
  const remedy = `stop that node first — if no such node runs, delete ${file}`;
  if (heldHere.has(dir)) {
    throw new DataDirLockedError(`data dir ${dir} is in use by another node of this process ${process.pid} (its LOCK file); ${remedy}`);
  }
  const emptySince = Date.now();
  let fd = -1;
  for (;;) {
    try {
      fd = fs.openSync(file, 'wx', 0o644);
      try {
        fs.writeSync(fd, content);
      } catch (error) {
        fs.closeSync(fd);
        throw error;
      }
      break; // kept open for the holder's life: how another process on this host knows it holds the LOCK
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        const reason = unwritableReason(error);
        throw new LockFileError(`cannot create the lock file ${file}: ${(error as Error).message}${reason === null ? '' : ` (${reason})`}`);
      }
    }
    const seen = readIfExists(file);
    if (seen === null) continue; // removed meanwhile: try again
    const holder = parse(seen);
    if (holder === null) {
      // Being written by another process this very moment, or left empty by a crash in that window.
      if (Date.now() - emptySince < EMPTY_GRACE_MS) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
    } else if (holder.host !== host) {
      const age = ageMs(file);
      if (age < staleAfterMs) {
        // A touch in this host's future means the two hosts' clocks differ: waiting is the safe side (taking a
        // live holder's directory loses writes), so say why the wait is longer than the usual 30 s.
        // (Within a second is timestamp granularity, not skew.)
        const touched = age > -1000 ? `touched ${Math.max(0, Math.round(age / 1000))} s ago` : `touched ${Math.round(-age / 1000)} s in this host's future — the two hosts' clocks differ`;
        throw new DataDirLockedError(
          `data dir ${dir} is in use by process ${holder.pid} on host ${holder.host} (its LOCK file, ${touched}; ` +
            `one untouched for ${Math.round(staleAfterMs / 1000)} s by this host's clock is taken over); ${remedy}`,
        );
      }
    } else if (holder.pid !== process.pid && pidAlive(holder.pid) && holdsOpen(holder.pid, file)) {
      throw new DataDirLockedError(`data dir ${dir} is in use by process ${holder.pid} (its LOCK file); ${remedy}`);
    }
    // Stale: its process is gone. Remove it only if it is still the file we judged, then create ours.
    if (readIfExists(file) === seen) fs.rmSync(file, { force: true });
  }
  heldHere.add(dir);
  let released = false;
  // The holder's proof of life for another host, and its check that the LOCK is still its own (see above);
  // unref'd, so it never keeps a process alive.
  let lastTouch = Date.now();
  let lastWarning = 0;
  const heartbeat = setInterval(() => {
    let lost: string | null = null;
    try {
      if (fs.fstatSync(fd).nlink === 0) lost = `its LOCK file ${file} was removed by another process`;
      else {
        const seen = readIfExists(file);
        if (seen !== content) lost = `its LOCK file ${file} now names another holder (${(seen ?? '').trim()})`;
        else if (Date.now() - lastTouch >= heartbeatMs) {
          fs.utimesSync(file, new Date(), new Date());
          lastTouch = Date.now();
        }
      }
    } catch (error) {
      // A check that cannot run (out of file descriptors, an I/O error) is not a takeover: the LOCK is only at
      // risk once another host could judge it stale, so the node goes on and says so — and gives up only when
      // its LOCK has gone untouched nearly long enough for that (found by a review: 1,100 idle connections
      // exhausted the descriptors and the node exited, 'no longer this node's', though nobody had taken it).
      const untouched = Date.now() - lastTouch;
      if (untouched >= staleAfterMs - heartbeatMs) {
        lost = `its LOCK file ${file} could not be checked or touched for ${Math.round(untouched / 1000)} s (${(error as Error).message}); another host may take it over`;
      } else if (Date.now() - lastWarning >= CHECK_FAILED_WARNING_EVERY_MS) {
        lastWarning = Date.now();
        options.onCheckFailed?.(`cannot check its LOCK file ${file} (${(error as Error).message}); retrying every second`);
      }
    }
    if (lost !== null && !released) {
      clearInterval(heartbeat);
      options.onLost?.(`data dir ${dir} is no longer this node's: ${lost}`);
    }
  }, Math.min(OWNERSHIP_CHECK_MS, heartbeatMs));
  heartbeat.unref();
  return {
    file,
    release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      heldHere.delete(dir);
      try {
        // Removed only while it is still ours: if it was taken over meanwhile, the file is someone else's now.
        if (readIfExists(file) === content) fs.rmSync(file, { force: true });
      } catch {
        // The directory went away, or cannot be read: nothing of ours is left to remove.
      }
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
    },
  };
}
