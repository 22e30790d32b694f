import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { LocalCluster } from '../../real/local-cluster';
import { keepRunningOnClosedLog } from '../closed-pipe';

/**
 * `dynalab deploy --nodes 3 --data ./data`: a local cluster of real node processes on loopback. Prints the
 * endpoints, forwards the nodes' logs, and on Ctrl-C / SIGTERM stops every node cleanly. Deploying again on
 * the same data directory restarts the same nodes, which recover their data. A deploy that fails on a fresh
 * directory (bad options, a node that does not start) leaves nothing behind.
 */
const builder = (y: Argv) =>
    y
      .option('nodes', { type: 'number', default: 3, describe: 'number of nodes' })
      .option('data', { type: 'string', default: './data', describe: 'data directory (node configs and data live here)' })
      .option('n', { type: 'number', describe: 'replicas per key (default min(3, nodes))' })
      .option('r', { type: 'number', describe: 'default read quorum (default 2, or n when n < 2)' })
      .option('w', { type: 'number', describe: 'default write quorum (default 2, or n when n < 2)' })
      .option('conflict', { choices: ['vclock', 'lww'] as const, describe: 'conflict resolution (default vclock)' })
      .option('token', { type: 'string', describe: 'require this bearer token from clients' })
      .option('port', { type: 'number', default: 8001, describe: 'first HTTP port to try (TCP = port + 1000); random free ports if busy or 0' });

type Args = ArgumentsCamelCase<Awaited<ReturnType<typeof builder>['argv']>>;

export const deployCommand: CommandModule<object, Awaited<ReturnType<typeof builder>['argv']>> = {
  command: 'deploy',
  describe: 'start a local real cluster on loopback (one process per node); Ctrl-C stops it',
  builder,
  handler: async (argv: Args) => {
    keepRunningOnClosedLog(); // the cluster outlives whoever reads its log (`deploy | head`)
    let cluster: LocalCluster;
    // Node i listens on port + i (HTTP) and port + 1000 + i (TCP): all of them must be ports (a review: --port abc
    // printed "port NaN is busy" and went on, --port 65000 failed deep in Node with "66000").
    const lastTcpPort = argv.port + 1000 + argv.nodes - 1;
    if (!Number.isInteger(argv.port) || argv.port < 0 || (argv.port > 0 && lastTcpPort > 65535)) {
      console.error(`dynalab deploy: --port ${typedValue('port') ?? String(argv.port)}: give a whole number from 1 to ${65535 - 1000 - (argv.nodes - 1)} (node i listens on port + i, and on port + 1000 + i for its peers), or 0 for random free ports`);
      process.exit(2);
    }
    try {
      cluster = await LocalCluster.prepare({
        dataDir: argv.data,
        nodes: argv.nodes,
        basePort: argv.port,
        ...(argv.n !== undefined ? { n: argv.n } : {}),
        ...(argv.r !== undefined ? { r: argv.r } : {}),
        ...(argv.w !== undefined ? { w: argv.w } : {}),
        ...(argv.conflict !== undefined ? { conflict: argv.conflict } : {}),
        ...(argv.token !== undefined ? { token: argv.token } : {}),
      });
    } catch (error) {
      console.error(`dynalab deploy: ${(error as Error).message}`);
      process.exit(2);
    }
    if (cluster.reused) {
      // The nodes run from the configs already in the directory: an option that asks for something else would
      // be silently ignored (a --token that is not enforced), so it is refused instead.
      const stored = cluster.nodes[0]!.config;
      const explicit = (flag: string) => typedValue(flag) !== undefined;
      const differs: string[] = [];
      if (argv.n !== undefined && argv.n !== stored.n) differs.push(`--n ${argv.n} (the cluster has n=${stored.n})`);
      if (argv.r !== undefined && argv.r !== stored.r) differs.push(`--r ${argv.r} (the cluster has r=${stored.r})`);
      if (argv.w !== undefined && argv.w !== stored.w) differs.push(`--w ${argv.w} (the cluster has w=${stored.w})`);
      if (argv.conflict !== undefined && argv.conflict !== stored.conflict) differs.push(`--conflict ${argv.conflict} (the cluster has ${stored.conflict})`);
      if (argv.token !== undefined && argv.token !== stored.token) differs.push(`--token (the cluster ${stored.token === undefined ? 'has no token' : 'has another token'})`);
      if (explicit('port') && argv.port !== 0 && `127.0.0.1:${argv.port}` !== stored.listen.http) differs.push(`--port ${argv.port} (node ${stored.id} listens on ${stored.listen.http})`);
      if (differs.length > 0) {
        console.error(`dynalab deploy: ${argv.data} holds an existing cluster, which runs from its node configs; these options differ from them: ${differs.join('; ')}. ` +
          `Edit the configs there (every node alike), or deploy into a new --data.`);
        process.exit(2);
      }
    }
    let stopping = false;
    const stop = async (why: string, code: number) => {
      if (stopping) return;
      stopping = true;
      const running = cluster.nodes.filter((n) => n.process !== null).length;
      console.error(`dynalab deploy: ${why}; stopping ${running} running node${running === 1 ? '' : 's'}…`);
      await cluster.stopAll();
      console.error('dynalab deploy: all nodes stopped');
      process.exit(code);
    };
    process.on('SIGINT', () => void stop('SIGINT', 0));
    process.on('SIGTERM', () => void stop('SIGTERM', 0));
    const first = cluster.nodes[0]!.config;
    if (!cluster.reused && argv.port !== 0 && first.listen.http !== `127.0.0.1:${argv.port}`) {
      // Said up front: a plain `kv get` (127.0.0.1:8001 by default) would otherwise talk to whatever holds that port.
      console.error(`dynalab deploy: port ${argv.port} is busy; this cluster listens on other ports (below) — pass --endpoint ${first.listen.http} to kv`);
    }
    console.log(`dynalab deploy — ${cluster.nodes.length} nodes, n=${first.n} r=${first.r} w=${first.w} ${first.conflict}, data ${argv.data}${cluster.reused ? ' (existing cluster: recovering)' : ''}`);
    try {
      await cluster.startAll();
    } catch (error) {
      console.error(`dynalab deploy: ${(error as Error).message}`);
      if (stopping) return;
      stopping = true;
      console.error(`dynalab deploy: a node failed to start; stopping ${cluster.nodes.length} nodes…`);
      await cluster.stopAll();
      // A fresh directory goes back to how it was, so that the corrected command is not told it holds a
      // cluster; an existing cluster's configs and data are kept, of course.
      try {
        if (cluster.discardCreated()) console.error(`dynalab deploy: removed what this deploy created in ${argv.data}`);
      } catch (cleanupError) {
        console.error(`dynalab deploy: could not remove what this deploy created in ${argv.data}: ${(cleanupError as Error).message}`);
      }
      process.exit(1);
    }
    for (const node of cluster.nodes) {
      console.log(`  ${node.id}  http://${node.config.listen.http}   (peers: tcp ${node.config.listen.tcp}, config ${node.configFile})`);
    }
    console.log('');
    console.log(`try:  curl -X PUT --data-binary hello http://${first.listen.http}/v1/keys/greeting${first.token ? " -H 'Authorization: Bearer …'" : ''}`);
    console.log(`      npx dynalab kv get greeting --endpoint ${first.listen.http}${first.token ? ' --token …' : ''}`);
    console.log('Ctrl-C stops the cluster; deploying again on the same --data recovers it.');
    for (const [index, node] of cluster.nodes.entries()) {
      void node.exited?.then(({ code, signal }) => {
        if (stopping) return;
        console.error(`dynalab deploy: node ${node.id} exited (${signal ?? `code ${code}`}); the others keep serving. ` +
          `Restart it with: npx dynalab serve --config ${cluster.nodes[index]!.configFile}`);
        if (cluster.nodes.every((n) => n.process === null)) void stop('every node has exited', 1);
      });
    }
  },
};

/** What was typed for `--flag` (`--flag v` or `--flag=v`), before yargs made it a number (NaN for 'abc'); undefined if not given. */
function typedValue(flag: string): string | undefined {
  const at = process.argv.findIndex((arg) => arg === `--${flag}` || arg.startsWith(`--${flag}=`));
  if (at < 0) return undefined;
  const arg = process.argv[at]!;
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : (process.argv[at + 1] ?? '');
}
