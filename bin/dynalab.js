#!/usr/bin/env node
// Entry point for `npx dynalab`. The sources are TypeScript; tsx (a runtime dependency) compiles them on
// load so a fresh clone needs only `npm ci` — no build step to forget.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The simulator keeps much of what it allocates for a while — history events, memtable entries on hundreds of
// nodes, requests in flight — so with V8's default young generation (16 MiB semi-spaces) every scavenge copies
// megabytes of survivors: 1.9 s of an 18 s partition-500 run. 64 MiB semi-spaces cut that to 1.1 s
// (`npm run bench:sim` passes the same flag). V8 sizes its heap when the process starts, so `sim` and `check`
// run themselves once more with the flag, unless the user already chose a size (on the command line or in
// NODE_OPTIONS). The child gets the parent's other flags except the inspector ones (the parent holds the port).
const YOUNG_GENERATION_FLAG = '--max-semi-space-size=64';
const simulatorCommand = process.argv[2] === 'sim' || process.argv[2] === 'check';
const nodeFlags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
const sizeChosen = nodeFlags.some((flag) => flag.replaceAll('_', '-').startsWith('--max-semi-space-size'));
if (simulatorCommand && !sizeChosen) {
  const inherited = process.execArgv.filter((flag) => !/^--inspect/.test(flag) && !/^--debug/.test(flag));
  const child = spawn(process.execPath, [...inherited, YOUNG_GENERATION_FLAG, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  // Ctrl-C reaches both processes (one process group); a signal sent to this process alone (kill, timeout, a
  // CI cancel) is passed on, so the run never outlives its parent.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    console.error(`dynalab: cannot start the simulator process: ${error.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      // End the way the child ended.
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
