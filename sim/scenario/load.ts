import { LineCounter, parseDocument, isMap, isNode, isScalar } from 'yaml';
import { scenarioSchema, type Scenario } from './schema';

/**
 * Parses and validates a scenario file. Errors name the file, the line and column, the field path and what
 * is wrong — e.g. `scenarios/x.yaml:14:5: cluster.r: r=4 cannot exceed n=3` — and list every problem at once.
 */
export class ScenarioError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid scenario:\n  ${problems.join('\n  ')}`);
    this.name = 'ScenarioError';
  }
}

export function loadScenario(text: string, fileName = 'scenario.yaml'): Scenario {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    throw new ScenarioError(
      document.errors.map((error) => {
        const position = lineCounter.linePos(error.pos[0]);
        return `${fileName}:${position.line}:${position.col}: YAML: ${error.message.split('\n')[0]}`;
      }),
    );
  }
  const raw = document.toJS();
  const parsed = scenarioSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.map(String);
    // Point at the deepest node that exists in the document for this path (for an unknown key, at that key).
    let located = '';
    if (issue.code === 'unrecognized_keys') {
      const map = issue.path.length === 0 ? document.contents : document.getIn(issue.path as (string | number)[], true);
      const unknown = (issue as { keys: string[] }).keys[0];
      if (isMap(map)) {
        const pair = map.items.find((item) => isScalar(item.key) && item.key.value === unknown);
        if (pair && isScalar(pair.key) && pair.key.range) {
          const position = lineCounter.linePos(pair.key.range[0]);
          located = `${position.line}:${position.col}`;
        }
      }
    }
    for (let depth = path.length; depth >= 0 && located === ''; depth--) {
      const node = document.getIn(issue.path as (string | number)[], true);
      const candidate = depth === path.length ? node : document.getIn(issue.path.slice(0, depth) as (string | number)[], true);
      if (isNode(candidate) && candidate.range) {
        const position = lineCounter.linePos(candidate.range[0]);
        located = `${position.line}:${position.col}`;
        break;
      }
    }
    const field = path.length > 0 ? path.join('.') : '(top level)';
    return `${fileName}${located ? `:${located}` : ''}: ${field}: ${issue.message}`;
  });
  throw new ScenarioError(problems);
}
