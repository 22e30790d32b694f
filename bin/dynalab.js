#!/usr/bin/env node
// Entry point for `npx dynalab`. The sources are TypeScript; tsx (a runtime dependency) compiles them on
// load so a fresh clone needs only `npm ci` — no build step to forget.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The simulator keeps most of what it allocates for a while — history events, memtable entries on hundreds of
// nodes, requests in flight — so with V8's default 16 MiB young generation every scavenge copies megabytes of
// survivors: ~2 s of 18 in partition-500. A 64 MiB young generation halves that (`npm run bench:sim`). V8 sizes
// the heap when the process starts, so `sim` and `check` re-run themselves once with the flag, unless the
// user already chose a size (on the command line or in NODE_OPTIONS).
const YOUNG_GENERATION_FLAG = '--max-semi-space-size=64';
const simulatorCommand = process.argv[2] === 'sim' || process.argv[2] === 'check';
const sizeChosen = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((arg) => arg.startsWith('--max-semi-space-size'));
if (simulatorCommand && !sizeChosen) {
  const child = spawnSync(process.execPath, [...process.execArgv, YOUNG_GENERATION_FLAG, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (child.error) throw child.error;
  // Ctrl-C reaches both processes (same process group); end the way the child ended.
  if (child.signal) process.kill(process.pid, child.signal);
  process.exit(child.status ?? 1);
}

const { register } = await import('tsx/esm/api');
register();
await import('../cli/main.ts');
