import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkImports, checkProject, checkWorldApis } from './boundary-rules';

const root = resolve(__dirname, '../..');

describe('determinism and layering guards', () => {
  it('core/ and sim/ touch the world only through core/env, and the folders keep their boundaries', () => {
    const violations = checkProject(root);
    const report = violations.map((v) => `${v.file}:${v.line} [${v.rule}] ${v.text}`).join('\n');
    expect(report, `boundary violations:\n${report}`).toBe('');
  });

  it('the world-API rule catches each banned call (so the guard cannot pass vacuously)', () => {
    const banned = [
      'const t = Date.now();',
      'const d = new Date();',
      'const r = Math.random();',
      'setTimeout(() => {}, 1);',
      'setImmediate(tick);',
      'const p = performance.now();',
      'const h = process.hrtime.bigint();',
      "import { readFileSync } from 'node:fs';",
      "import * as net from 'net';",
      "const { randomBytes } = await import('node:crypto');",
    ];
    for (const line of banned) {
      expect(checkWorldApis('core/x.ts', line).length, line).toBeGreaterThan(0);
    }
    expect(checkWorldApis('core/x.ts', '// Date.now is banned here\nconst x = 1; /* Math.random() */')).toEqual([]);
  });

  it('the import rule catches core/ importing outside core/ and sim/ importing real/', () => {
    const coreFile = resolve(root, 'core/storage/engine.ts');
    expect(checkImports(root, coreFile, "import { SimDisk } from '../../sim/disk';", ['core'], [], /^$/)).toHaveLength(1);
    expect(checkImports(root, coreFile, "import yargs from 'yargs';", ['core'], [], /^$/)).toHaveLength(1);
    expect(checkImports(root, coreFile, "import type { Disk } from '../env';", ['core'], [], /^$/)).toHaveLength(0);
    const simFile = resolve(root, 'sim/world.ts');
    expect(checkImports(root, simFile, "import { FileDisk } from '../real/file-disk';", ['core', 'sim'], ['real'], /^seedrandom$/)).toHaveLength(1);
    const realFile = resolve(root, 'real/node-server.ts');
    expect(checkImports(root, realFile, "import { SimDisk } from '../sim/disk';", ['core', 'real'], ['sim'], /.*/)).toHaveLength(1);
  });
});
