/**
 * Progress for long runs: a single rewritten line on a terminal, nothing when output is piped (so logs and
 * CI output stay clean).
 */
export function makeProgress(label: string): { update: (done: number, total: number, extra?: string) => void; finish: () => void } {
  const interactive = process.stderr.isTTY === true;
  let lastDraw = 0;
  return {
    update(done, total, extra = '') {
      if (!interactive) return;
      const now = Date.now();
      if (now - lastDraw < 100 && done < total) return;
      lastDraw = now;
      const percent = total > 0 ? Math.floor((done / total) * 100) : 0;
      process.stderr.write(`\r${label} ${percent}% ${extra}`.padEnd(78));
    },
    finish() {
      if (interactive) process.stderr.write('\r'.padEnd(79) + '\r');
    },
  };
}
