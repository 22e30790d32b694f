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
 *   - its pid is alive on this host (`kill(pid, 0)` succeeds or fails with EPERM) and is not this process:
 *     refused, naming the directory, the pid and what to do;
 *   - its pid is dead — a node killed with kill -9, or a machine that crashed — so the lock is stale: taken
 *     over at once (restarting a killed node on its directory must keep working);
 *   - its pid is this process's own but no node in this process holds the directory: a leftover of a node
 *     started in this process that never stopped cleanly (tests run several nodes in one process); taken over;
 *   - it names another host (a directory on shared storage): this host cannot tell whether that process
 *     runs, so refused;
 *   - it is empty or unreadable: another process may be between creating and writing it, so it is re-read
 *     for up to a second before being treated as stale (a crash in that window leaves such a file).
 * Within one process, directories already locked are remembered, so two nodes of one process are refused too.
 *
 * What a pid file cannot do: if the machine rebooted and an unrelated process now has the old pid, the lock
 * looks held and the node refuses to start; the message says to delete the file. The same happens when a
 * container is recreated on the same volume after a crash (another host name, or a reused small pid). Both
 * err on the safe side: two live processes on one directory lose acknowledged writes, a refusal loses none.
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
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
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
  for (;;) {
    try {
      const fd = fs.openSync(file, 'wx', 0o644);
      try {
        fs.writeSync(fd, content);
      } finally {
        fs.closeSync(fd);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new Error(`cannot create the lock file ${file}: ${(error as Error).message}`);
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
      throw new DataDirLockedError(
        `data dir ${dir} is in use by process ${holder.pid} on host ${holder.host} (its LOCK file), which this host (${host}) cannot check; ${remedy}`,
      );
    } else if (holder.pid !== process.pid && pidAlive(holder.pid)) {
      throw new DataDirLockedError(`data dir ${dir} is in use by process ${holder.pid} (its LOCK file); ${remedy}`);
    }
    // Stale: its process is gone. Remove it only if it is still the file we judged, then create ours.
    if (readIfExists(file) === seen) fs.rmSync(file, { force: true });
  }
  heldHere.add(dir);
  let released = false;
  return {
    file,
    release() {
      if (released) return;
      released = true;
      heldHere.delete(dir);
      try {
        if (readIfExists(file) === content) fs.rmSync(file, { force: true });
      } catch {
        // The directory went away, or cannot be read: nothing of ours is left to remove.
      }
    },
  };
}
