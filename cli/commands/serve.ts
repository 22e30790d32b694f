import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ConfigError, loadNodeConfig } from '../../real/node-config';
import { startRealNode } from '../../real/node-process';
import { keepRunningOnClosedLog } from '../closed-pipe';

/**
 * `dynalab serve --config node.yaml`: one real node in this process, until SIGINT/SIGTERM. Prints one
 * `ready` line on stdout once it serves (deploy waits for it); everything else goes to stderr.
 */
const builder = (y: Argv) => y.option('config', { type: 'string', demandOption: true, describe: 'the node config file' });

type Args = ArgumentsCamelCase<Awaited<ReturnType<typeof builder>['argv']>>;

export const serveCommand: CommandModule<object, Awaited<ReturnType<typeof builder>['argv']>> = {
  command: 'serve',
  describe: 'run one real node from a config file (YAML: id, listen, dataDir, secret, members, n/r/w, conflict)',
  builder,
  handler: async (argv: Args) => {
    keepRunningOnClosedLog(); // the deploy parent killed, `| head`: the node keeps serving
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
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.error(`[${config.id}] ${signal}: stopping`);
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
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  },
};
