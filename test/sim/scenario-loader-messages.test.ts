import { describe, expect, it } from 'vitest';
import { loadScenario, ScenarioError } from '../../sim/scenario/load';

/**
 * Loader messages that named no problem: an infinite duration or size read "Invalid input", and a file with a
 * second YAML document got the YAML library's hint to call parseAllDocuments().
 */
const base = [
  'name: t',
  'duration: 20s',
  'quiescence: 5s',
  'cluster:',
  '  nodes: 3',
  '  n: 3',
  '  r: 2',
  '  w: 2',
  'workload:',
  '  rate: 50',
  '  keys: 20',
];
const text = (edit: Record<string, string> = {}, extra: string[] = []) =>
  [...base.map((line) => edit[line.trim().split(':')[0]!] ?? line), ...extra].join('\n') + '\n';

function refusal(source: string): string {
  try {
    loadScenario(source, 's.yaml');
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as Error).message;
  }
}

describe('scenario loader: durations and sizes that are not finite', () => {
  it('the base file loads', () => {
    expect(refusal(text())).toBe('accepted');
  });

  it('duration: .inf and 1e400 (YAML reads both as Infinity) say so, at the field', () => {
    for (const value of ['.inf', '1e400', '.Inf']) {
      const message = refusal(text({ duration: `duration: ${value}` }));
      expect(message, value).toMatch(/^ {2}s\.yaml:2:11: duration: Infinity is not a duration \(write e\.g\. 250ms, 20s\)/m);
      expect(message, value).not.toMatch(/Invalid input/);
    }
  });

  it('workload.stopAt: .inf, a negative duration and .nan say what is wrong', () => {
    const stop = refusal(text({}, ['  stopAt: .inf']));
    expect(stop).toMatch(/s\.yaml:12:11: workload\.stopAt: Infinity is not a duration \(write e\.g\. 250ms, 20s\)/);
    expect(stop).not.toMatch(/Invalid input/);
    expect(refusal(text({ duration: 'duration: -5' }))).toMatch(/s\.yaml:2:11: duration: -5 is not a duration: a duration is 0 or more/);
    expect(refusal(text({ duration: 'duration: .nan' }))).toMatch(/s\.yaml:2:11: duration: NaN is not a duration \(write e\.g\. 250ms, 20s\)/);
  });

  it('a size (cluster.storage.memtableBytes) of .inf says it is not a size', () => {
    const inCluster = [...base.slice(0, 8), '  storage:', '    memtableBytes: .inf', ...base.slice(8)].join('\n') + '\n';
    const refused = refusal(inCluster);
    expect(refused).toMatch(/s\.yaml:10:20: cluster\.storage\.memtableBytes: Infinity is not a size \(write e\.g\. 512B, 4KiB, 64MiB\)/);
    expect(refused).not.toMatch(/Invalid input/);
  });
});

describe('scenario loader: one YAML document per file', () => {
  it('a second `---` is named with its line, and the library\'s parseAllDocuments hint is gone', () => {
    const message = refusal(text({}, ['---', 'name: x']));
    expect(message).toMatch(/s\.yaml:12:1: a scenario file holds one YAML document; remove the second `---` \(line 12\)/);
    expect(message).not.toMatch(/parseAllDocuments/);
  });

  it('a leading `---` (a document start marker) is still one document', () => {
    expect(refusal(`---\n${text()}`)).toBe('accepted');
    // With a leading marker, the one that starts a second document is the second `---`.
    expect(refusal(`---\n${text()}---\nname: x\n`)).toMatch(/s\.yaml:13:1: a scenario file holds one YAML document; remove the second `---` \(line 13\)/);
  });

  it('an explicit end marker `...` and then another document: still named', () => {
    expect(refusal(`${text()}...\n---\nname: x\n`)).toMatch(/one YAML document; remove the second `---` \(line 13\)/);
    // No `---` at all: the second document starts after the end marker.
    expect(refusal(`${text()}...\nname: x\n`)).toMatch(/s\.yaml:13:1: a scenario file holds one YAML document; a second one starts at line 13, after the end marker `\.\.\.`: remove the marker or what follows it/);
  });
});
