import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../../real/local-cluster';
import { loadNodeConfig } from '../../real/node-config';
import { tempDir } from './harness';

// Found by a review: two `deploy`s started together on a fresh --data directory each saw it empty and wrote
// their configs; the one that lost the race on n0.yaml (written exclusively) cleaned up what it had "created" —
// which it recorded before writing — and so deleted the winner's n0.yaml (and could remove a data root it
// had made while the winner wrote into it). The loser now says another deploy is writing the directory and
// removes only what it wrote.

const root = tempDir('deploy-race');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('two deploys on one fresh data directory', () => {
  it('the loser removes nothing of the winner\'s, and says another deploy is writing there', async () => {
    const dataDir = path.join(root, 'nested', 'data'); // neither exists yet: someone's mkdir creates both
    const outcomes = await Promise.allSettled([
      LocalCluster.prepare({ dataDir, nodes: 3, basePort: 0 }),
      LocalCluster.prepare({ dataDir, nodes: 3, basePort: 0 }),
    ]);
    const won = outcomes.filter((o): o is PromiseFulfilledResult<LocalCluster> => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    // Every config of the winner is there, and they are the winner's (one secret, its ports).
    expect(fs.readdirSync(dataDir).sort()).toEqual(['n0.yaml', 'n1.yaml', 'n2.yaml']);
    expect((lost[0]!.reason as Error).message).toBe(
      `another deploy is writing ${dataDir} (${path.join(dataDir, 'n0.yaml')} appeared while this one was writing its configs); ` +
        'this one removed what it wrote and stops: wait for the other deploy, or use another --data directory',
    );
    const cluster = won[0]!.value;
    for (const node of cluster.nodes) expect(loadNodeConfig(node.configFile)).toEqual(node.config);
    // And the winner still owns what it created: discarding it after a failed start leaves nothing behind.
    expect(cluster.discardCreated()).toBe(true);
    expect(fs.existsSync(path.join(root, 'nested'))).toBe(false);
  });

  it('a config that appears after this deploy looked is left alone, and so is the directory holding it', async () => {
    // Another process's deploy writing the same fresh directory: emulated by its mkdir and first config landing
    // after this deploy looked (found nothing) and before it writes.
    const dataDir = path.join(root, 'made-by-loser');
    const preparing = LocalCluster.prepare({ dataDir, nodes: 2, basePort: 0 }); // looks (empty), then awaits ports
    fs.mkdirSync(dataDir); // the other deploy's mkdir …
    fs.writeFileSync(path.join(dataDir, 'n0.yaml'), 'the other deploy\'s config\n'); // … and its first config
    const outcome = await preparing.then(() => 'prepared', (error: Error) => error.message);
    expect(fs.readdirSync(dataDir)).toEqual(['n0.yaml']);
    expect(fs.readFileSync(path.join(dataDir, 'n0.yaml'), 'utf8')).toBe('the other deploy\'s config\n');
    expect(outcome).toMatch(/^another deploy is writing /);
  });
});
