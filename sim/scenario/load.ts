import { LineCounter, parseDocument, isMap, isNode, isScalar, type Document } from 'yaml';
import { scenarioSchema, type Scenario } from './schema';
import { scenarioProblems, SEMANTIC_SECTIONS, type ScenarioCore, type ScenarioProblem } from './semantics';

/**
 * Parses and validates a scenario file. Errors name the file, the line and column, the field path and what
 * is wrong — e.g. `scenarios/x.yaml:14:5: cluster.r: r=4 cannot exceed n=3` — and list every problem at once.
 * The schema (shape, ranges, unknown keys) comes first; once the shape is right, the checks across fields
 * (sim/scenario/semantics.ts: the run's timeline, node names, joins and leaves) are reported the same way.
 */
export class ScenarioError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid scenario:\n  ${problems.join('\n  ')}`);
    this.name = 'ScenarioError';
  }
}

type Path = (string | number)[];

export function loadScenario(text: string, fileName = 'scenario.yaml'): Scenario {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    throw new ScenarioError(
      document.errors.map((error) => {
        const position = lineCounter.linePos(error.pos[0]);
        // A second document: the library's own hint was to call YAML.parseAllDocuments() (a review).
        if (error.code === 'MULTIPLE_DOCS') return `${fileName}:${position.line}:${position.col}: ${secondDocument(text, error.pos[0], position.line)}`;
        // Name the key a duplicate-key error is about (the message alone did not say which; a review).
        const keyText = text.slice(error.pos[0]).split(/[:\n]/, 1)[0]!.trim();
        const key = error.code === 'DUPLICATE_KEY' && keyText !== '' ? ` ('${keyText}' is given twice)` : '';
        return `${fileName}:${position.line}:${position.col}: YAML: ${error.message.split('\n')[0]}${key}`;
      }),
    );
  }
  const raw = document.toJS();
  if (raw === null || raw === undefined) {
    throw new ScenarioError([`${fileName}: the file is empty: a scenario needs at least duration, cluster and workload (see scenarios/quickstart.yaml)`]);
  }
  const parsed = scenarioSchema.safeParse(raw);
  const where = (located: string) => `${fileName}${located ? `:${located}` : ''}`;
  const field = (path: Path) => (path.length > 0 ? path.join('.') : '(top level)');
  const semantic: { at: string; text: string }[] = [];
  const report = (problems: readonly ScenarioProblem[]) => {
    for (const problem of problems) {
      const written = problem.orAt !== undefined && !isNode(document.getIn(problem.path, true)) ? problem.orAt : problem.path;
      const at = locate(document, lineCounter, written);
      semantic.push({ at, text: `${where(at)}: ${field(problem.path)}: ${problem.message}` });
    }
  };
  if (parsed.success) {
    report(scenarioProblems(parsed.data));
    if (semantic.length === 0) return parsed.data;
    throw new ScenarioError(inFileOrder(semantic));
  }
  // The checks across fields still run when the sections they read are valid (a bad check setting elsewhere
  // does not hide a fault that would never happen).
  const core = coreOf(raw);
  if (core !== undefined) report(scenarioProblems(core));
  const schemaProblems = parsed.error.issues.map((issue) => {
    const path = issue.path as Path;
    // Point at the deepest node that exists in the document for this path (for an unknown key, at that key).
    let located = '';
    if (issue.code === 'unrecognized_keys') {
      const map = path.length === 0 ? document.contents : document.getIn(path, true);
      const unknown = (issue as { keys: string[] }).keys[0];
      if (isMap(map)) {
        const pair = map.items.find((item) => isScalar(item.key) && item.key.value === unknown);
        if (pair && isScalar(pair.key) && pair.key.range) {
          const position = lineCounter.linePos(pair.key.range[0]);
          located = `${position.line}:${position.col}`;
        }
      }
    }
    if (located === '') located = locate(document, lineCounter, path);
    // A required field left out read "Invalid input": say it is missing.
    const missing = path.length > 0 && !document.hasIn(path) && (path.length === 1 || isMap(document.getIn(path.slice(0, -1), true)));
    return { at: located, text: `${where(located)}: ${field(path.map(String))}: ${missing ? 'required, but missing from the file' : issue.message}` };
  });
  throw new ScenarioError(inFileOrder([...schemaProblems, ...semantic]));
}

/**
 * What to do about a second YAML document starting at `offset` (line `line`): it starts with a `---` marker,
 * or follows an end marker `...` without one.
 */
function secondDocument(text: string, offset: number, line: number): string {
  const marker = text.slice(offset).startsWith('---');
  return marker
    ? `a scenario file holds one YAML document; remove the second \`---\` (line ${line})`
    : `a scenario file holds one YAML document; a second one starts at line ${line}, after the end marker \`...\`: remove the marker or what follows it`;
}

/** Problems by line, then column (those without a place last; ties keep their order). */
function inFileOrder(problems: readonly { at: string; text: string }[]): string[] {
  const position = (at: string) => (at === '' ? [Infinity, Infinity] : at.split(':').map(Number)) as [number, number];
  const all = problems.map((problem, i) => ({ text: problem.text, i, pos: position(problem.at) }));
  all.sort((a, b) => a.pos[0] - b.pos[0] || a.pos[1] - b.pos[1] || a.i - b.i);
  return all.map((problem) => problem.text);
}

/** The sections the cross-field checks read, parsed on their own; undefined if any of them is invalid. */
function coreOf(raw: unknown): ScenarioCore | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const sections = Object.fromEntries(SEMANTIC_SECTIONS.map((key) => [key, true])) as { [K in (typeof SEMANTIC_SECTIONS)[number]]: true };
  const parsed = scenarioSchema.pick(sections).safeParse(Object.fromEntries(SEMANTIC_SECTIONS.map((key) => [key, (raw as Record<string, unknown>)[key]])));
  return parsed.success ? parsed.data : undefined;
}

/** line:col of the deepest node on `path` that the document has ('' if none). */
function locate(document: Document, lineCounter: LineCounter, path: Path): string {
  for (let depth = path.length; depth >= 0; depth--) {
    const candidate = document.getIn(path.slice(0, depth), true);
    if (isNode(candidate) && candidate.range) {
      const position = lineCounter.linePos(candidate.range[0]);
      return `${position.line}:${position.col}`;
    }
  }
  return '';
}
