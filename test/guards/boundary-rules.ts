import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

/**
 * The determinism and layering rules as code, so a test (and anyone) can run them.
 *
 * - core/ and sim/ reach the world only through core/env: no Date, Math.random, timers, performance.now,
 *   process.hrtime, node:fs / node:net (or any node: module), crypto randomness.
 * - core/ imports nothing outside core/.
 * - sim/ and real/ never import each other.
 */
export interface Violation {
  file: string;
  line: number;
  rule: string;
  text: string;
}

const WORLD_APIS: { rule: string; pattern: RegExp }[] = [
  { rule: 'Date (wall time)', pattern: /\bDate\s*\.\s*now\b|\bnew\s+Date\b|\bDate\s*\(/ },
  { rule: 'Math.random', pattern: /\bMath\s*\.\s*random\b/ },
  { rule: 'timers', pattern: /\b(setTimeout|setInterval|setImmediate|clearTimeout|clearInterval|queueMicrotask)\s*\(/ },
  { rule: 'performance.now', pattern: /\bperformance\s*\.\s*now\b/ },
  { rule: 'process.hrtime', pattern: /\bprocess\s*\.\s*hrtime\b/ },
  { rule: 'crypto randomness', pattern: /\b(randomBytes|randomUUID|getRandomValues|randomInt)\b/ },
  { rule: 'node: / fs / net / crypto modules', pattern: /(from\s+|import\s*\(\s*|require\s*\(\s*)['"](node:[a-z_/]+|fs|fs\/promises|net|crypto|child_process|worker_threads|os|http|https|dgram|tls|timers|perf_hooks)['"]/ },
];

const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g;

export function listSources(root: string, folder: string): string[] {
  const base = join(root, folder);
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(ts|js|mts|mjs)$/.test(entry)) out.push(full);
    }
  };
  try {
    walk(base);
  } catch {
    return [];
  }
  return out.sort();
}

/** Blanks out comments so prose that mentions "Date.now" in a doc comment is not a violation. */
export function stripComments(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, (block) => block.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:'"`])\/\/.*$/gm, (_m, lead: string) => lead);
}

export function checkWorldApis(file: string, source: string): Violation[] {
  const violations: Violation[] = [];
  stripComments(source)
    .split('\n')
    .forEach((text, index) => {
      for (const { rule, pattern } of WORLD_APIS) {
        if (pattern.test(text)) violations.push({ file, line: index + 1, rule, text: text.trim() });
      }
    });
  return violations;
}

/** Violations of "files under `folder` may only import from `allowedFolders` (relative imports) and `allowedPackages`". */
export function checkImports(
  root: string,
  file: string,
  source: string,
  allowedFolders: string[],
  forbiddenFolders: string[],
  allowedPackages: RegExp,
): Violation[] {
  const violations: Violation[] = [];
  const lines = stripComments(source).split('\n');
  lines.forEach((text, index) => {
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1]!;
      if (specifier.startsWith('.')) {
        const target = relative(root, resolve(dirname(file), specifier));
        const top = target.split(/[\\/]/)[0]!;
        if (forbiddenFolders.includes(top) || (allowedFolders.length > 0 && !allowedFolders.includes(top))) {
          violations.push({ file, line: index + 1, rule: `imports ${top}/`, text: text.trim() });
        }
      } else if (!allowedPackages.test(specifier)) {
        violations.push({ file, line: index + 1, rule: `imports package '${specifier}'`, text: text.trim() });
      }
    }
  });
  return violations;
}

export function checkProject(root: string): Violation[] {
  const violations: Violation[] = [];
  for (const folder of ['core', 'sim']) {
    for (const file of listSources(root, folder)) {
      const source = readFileSync(file, 'utf8');
      violations.push(...checkWorldApis(relative(root, file), source));
    }
  }
  for (const file of listSources(root, 'core')) {
    violations.push(...checkImports(root, file, readFileSync(file, 'utf8'), ['core'], [], /^$/));
  }
  for (const file of listSources(root, 'sim')) {
    violations.push(...checkImports(root, file, readFileSync(file, 'utf8'), ['core', 'sim'], ['real', 'cli'], /^(seedrandom|zod|yaml|fast-check)$/));
  }
  for (const file of listSources(root, 'real')) {
    violations.push(...checkImports(root, file, readFileSync(file, 'utf8'), ['core', 'real'], ['sim', 'cli'], /.*/));
  }
  return violations.map((v) => ({ ...v, file: relative(root, resolve(root, v.file)) }));
}
