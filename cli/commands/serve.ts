import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ConfigError, loadNodeConfig } from '../../real/node-config';
import { startRealNode } from '../../real/node-process';
import { keepRunningOnClosedLog } from '../closed-pipe';

/**
 * `dynalab serve --config node.yaml`: one real node in this process, until SIGINT/SIGTERM. Prints one
 * `ready` line on stdout once it serves (deploy waits for it); everything else goes to stderr.
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
    const requestStop = (why: string): void => {
      if (stop !== null) stop(why);
      else stopWanted ??= why;
    };
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
    console.log(`ready ${config.id} http=${node.httpAddress.host}:${node.httpAddress.port} tcp=${node.tcpAddress.host}:${node.tcpAddress.port}`);
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
    process.on('SIGINT', () => requestStop('SIGINT'));
    process.on('SIGTERM', () => requestStop('SIGTERM'));
    if (stopWanted !== null) stop(stopWanted);
  },
};

/** Calls `onEof` when stdin ends or fails (its writer gone); whatever is written to it is discarded. */
function watchStdinForEof(onEof: () => void): void {
  // onEof may run more than once (end, then close): the stop it requests runs once.
  for (const event of ['end', 'close', 'error']) process.stdin.on(event, onEof);
  process.stdin.resume(); // flowing with no 'data' listener: whatever arrives is dropped
}
