import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ConfigError, loadNodeConfig } from '../../real/node-config';
import { startRealNode } from '../../real/node-process';
import { keepRunningOnClosedLog } from '../closed-pipe';

/**
 * `dynalab serve --config node.yaml`: one real node in this process, until SIGINT/SIGTERM. Prints one
 * `ready` line on stdout once it serves (deploy waits for it); everything else goes to stderr. A signal while
 * the node starts (a long log replay) stops it as soon as it is up, without the ready line; the same signal
 * again exits at once.
 *
 * `--stop-on-stdin-eof` (what deploy passes) also stops it, the same way, when its stdin reaches end of file:
 * deploy holds each node's stdin open, so the nodes stop when deploy ends however it ends — a kill -9 no
 * handler sees included. Its log is no such signal: a node keeps serving on a closed log by design.
 */
const builder = (y: Argv) =>
  y
    .option('config', { type: 'string', demandOption: true, describe: 'the node config file' })
    .option('stop-on-stdin-eof', {
      type: 'boolean',
      default: false,
      describe: 'stop (as on SIGTERM) when stdin reaches end of file: how the nodes of `dynalab deploy` notice it is gone',
    });

/** What the builder declares (yargs' parsed argv type adds the camelCase spellings, which its builder type lacks). */
type Options = { config: string; 'stop-on-stdin-eof': boolean };
type Args = ArgumentsCamelCase<Options>;

export const serveCommand: CommandModule<object, Options> = {
  command: 'serve',
  describe: 'run one real node from a config file (YAML: id, listen, dataDir, secret, members, n/r/w, conflict)',
  builder,
  handler: async (argv: Args) => {
    keepRunningOnClosedLog(); // `| head`, a log reader gone: the node keeps serving
    // Until the node is up, a stop is only noted; it runs once the node is up (and can release its LOCK).
    let stop: ((why: string) => void) | null = null;
    let stopWanted: string | null = null;
    let label = 'dynalab serve'; // the node's id once the config is read
    const requestStop = (why: string): void => {
      if (stop !== null) return stop(why);
      if (stopWanted === null) {
        stopWanted = why;
        const again = why.startsWith('SIG') ? `; ${why} again exits at once` : '';
        console.error(`[${label}] ${why} while starting: stopping once the node has started (recovery runs to its end${again})`);
      }
    };
    // Installed before anything else — found by a review: installed only once the node had started, a SIGINT or
    // SIGTERM during a long write-ahead-log replay killed the process outright (Node's default action) and
    // left its LOCK behind. The same signal twice while starting (Ctrl-C, Ctrl-C) exits at once, for a start
    // that seems stuck; the LOCK it leaves names a dead process, which the next start takes over. Different
    // ones do not: Ctrl-C on a deploy reaches its nodes as SIGINT, then deploy itself sends them SIGTERM.
    // Signals seen while starting, whatever asked for the stop first (a closed stdin too).
    const signalsWhileStarting = new Set<NodeJS.Signals>();
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stop === null && signalsWhileStarting.has(signal)) {
        console.error(`[${label}] ${signal} again while starting: exiting now, without a clean stop`);
        process.exit(1);
      }
      if (stop === null) signalsWhileStarting.add(signal);
      requestStop(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (argv.stopOnStdinEof) watchStdinForEof(() => requestStop('stdin closed (the deploy that started this node is gone)'));
    let config;
    try {
      config = loadNodeConfig(argv.config);
    } catch (error) {
      if (error instanceof ConfigError) {
        console.error(`dynalab serve: ${error.message}`);
        process.exit(2);
      }
      throw error;
    }
    label = config.id;
    let node;
    try {
      node = await startRealNode(config);
    } catch (error) {
      console.error(`dynalab serve: ${(error as Error).message}`);
      process.exit(1);
    }
    const others = config.members.filter((m) => m.id !== config.id).map((m) => `${m.id}@${m.tcp}`);
    console.error(`[${config.id}] data ${config.dataDir}, actor ${node.node.actorId}, n=${config.n} r=${config.r} w=${config.w} ${config.conflict}`);
    console.error(`[${config.id}] static members: ${others.join(', ') || '(none)'}${config.token ? '; clients need the bearer token' : ''}`);
    // Asked to stop while starting: no ready line (nothing should send it requests), straight to the stop.
    if (stopWanted === null) console.log(`ready ${config.id} http=${node.httpAddress.host}:${node.httpAddress.port} tcp=${node.tcpAddress.host}:${node.tcpAddress.port}`);
    let stopping = false;
    stop = (why: string) => {
      if (stopping) return;
      stopping = true;
      console.error(`[${config.id}] ${why}: stopping`);
      const force = setTimeout(() => {
        console.error(`[${config.id}] did not stop within 10 s; exiting anyway`);
        process.exit(1);
      }, 10_000);
      force.unref();
      node.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(`[${config.id}] error while stopping: ${(error as Error).message}`);
          process.exit(1);
        },
      );
    };
    if (stopWanted !== null) stop(stopWanted);
  },
};

/** Calls `onEof` when stdin ends or fails (its writer gone); whatever is written to it is discarded. */
function watchStdinForEof(onEof: () => void): void {
  // onEof may run more than once (end, then close): the stop it requests runs once.
  for (const event of ['end', 'close', 'error']) process.stdin.on(event, onEof);
  process.stdin.resume(); // flowing with no 'data' listener: whatever arrives is dropped
}
