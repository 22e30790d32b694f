/**
 * What a command does when whoever reads its output goes away (`… | head`, a killed parent): the next write
 * to the pipe fails with EPIPE, and an unhandled stream error would end the process with a stack trace.
 */

/** A one-shot command stops quietly, as cat and ls do, with the exit code it had so far. */
export function exitQuietlyOnClosedPipe(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

/**
 * A long-running one (a node, a local cluster) keeps running: its log is best-effort, and a closed pipe must
 * not take a node down in the middle of requests, nor end deploy without stopping its nodes.
 */
export function keepRunningOnClosedLog(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
}
