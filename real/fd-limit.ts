import fs from 'node:fs';

/**
 * This process's soft limit on open file descriptors (RLIMIT_NOFILE), read from /proc/self/limits on Linux;
 * `fallback` where that cannot be read. Every client connection is a descriptor, and so is every table file
 * the disk keeps open, the WAL, each peer link and the LOCK: a node that lets idle clients take the last one
 * fails its next flush, compaction or lock check with EMFILE (found by a review: 1,100 idle connections under
 * the common `ulimit -n 1024` took a node down). The HTTP server's connection cap is derived from this.
 */
export function openFileLimit(fallback = 1024): number {
  try {
    const limits = fs.readFileSync('/proc/self/limits', 'utf8');
    const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
    if (line === null) return fallback;
    const soft = line[1]!;
    return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft) > 0 ? Number(soft) : fallback;
  } catch {
    return fallback;
  }
}

/** Descriptors kept back from client connections for the node's own files and peers. */
const RESERVED_DESCRIPTORS = 512;
/** The connection cap when the descriptor limit allows more. */
const DEFAULT_MAX_CONNECTIONS = 10_000;

/**
 * How many HTTP client connections a node accepts at once: `configured` if given, else the default capped at
 * the descriptor limit minus the reserve (at least 64). Past it, new connections are closed as they arrive.
 */
export function clientConnectionCap(configured: number | undefined, limit = openFileLimit()): number {
  if (configured !== undefined) return configured;
  return Math.max(64, Math.min(DEFAULT_MAX_CONNECTIONS, limit - RESERVED_DESCRIPTORS));
}
