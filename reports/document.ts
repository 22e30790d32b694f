/**
 * A tiny document model — headings, paragraphs, tables, images — rendered both to Markdown and to one
 * self-contained HTML page. The report is built once as blocks, so the two formats cannot drift apart.
 */
export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3; text: string }
  | { kind: 'paragraph'; text: string }
  /** "What this means": a derived reading of the numbers, set apart from the tables. */
  | { kind: 'finding'; lines: string[] }
  | { kind: 'table'; header: string[]; rows: string[][]; align?: ('left' | 'right')[] }
  | { kind: 'image'; file: string; alt: string; png: Buffer }
  | { kind: 'code'; text: string };

export interface ReportDocument {
  title: string;
  blocks: Block[];
}

/** Inline `code` spans are the only markup the text uses; both renderers understand them. */
const mdCell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function toMarkdown(doc: ReportDocument): string {
  const out: string[] = [];
  for (const block of doc.blocks) {
    switch (block.kind) {
      case 'heading':
        out.push(`${'#'.repeat(block.level)} ${block.text}`, '');
        break;
      case 'paragraph':
        out.push(block.text, '');
        break;
      case 'finding':
        out.push(`> **What this means.** ${block.lines.join('\n>\n> ')}`, '');
        break;
      case 'table': {
        const align = block.align ?? block.header.map((_, i) => (i === 0 ? 'left' : 'right'));
        out.push(`| ${block.header.map(mdCell).join(' | ')} |`);
        out.push(`| ${align.map((a) => (a === 'right' ? '---:' : '---')).join(' | ')} |`);
        for (const row of block.rows) out.push(`| ${row.map(mdCell).join(' | ')} |`);
        out.push('');
        break;
      }
      case 'image':
        out.push(`![${block.alt}](${block.file})`, '');
        break;
      case 'code':
        out.push('```', block.text, '```', '');
        break;
    }
  }
  return out.join('\n');
}

const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Escapes, then turns `code` spans and **bold** into markup. */
const inline = (text: string): string =>
  escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>').replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');

const CSS = `
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #222; max-width: 1100px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.8em; border-bottom: 2px solid #ddd; padding-bottom: .2em; }
h2 { font-size: 1.35em; margin-top: 2em; border-bottom: 1px solid #eee; }
h3 { font-size: 1.1em; margin-top: 1.5em; }
table { border-collapse: collapse; margin: .8em 0; font-size: 14px; }
th, td { border: 1px solid #ddd; padding: 4px 10px; vertical-align: top; }
th { background: #f4f4f4; text-align: left; }
td.r { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr:nth-child(even) td { background: #fafafa; }
code { font: 13px "DejaVu Sans Mono", Menlo, Consolas, monospace; background: #f2f2f2; padding: 0 3px; border-radius: 3px; }
pre { background: #f6f6f6; padding: .8em; overflow-x: auto; }
.finding { border-left: 4px solid #1f77b4; background: #f3f8fc; padding: .5em 1em; margin: 1em 0; }
.finding p { margin: .3em 0; }
figure { margin: 1em 0; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #666; font-size: 13px; }
`;

/** One HTML file with inline CSS and the charts embedded as data URIs, so it can be mailed or archived alone. */
export function toHtml(doc: ReportDocument): string {
  const out: string[] = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(doc.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head><body>',
  ];
  for (const block of doc.blocks) {
    switch (block.kind) {
      case 'heading':
        out.push(`<h${block.level}>${inline(block.text)}</h${block.level}>`);
        break;
      case 'paragraph':
        out.push(`<p>${inline(block.text)}</p>`);
        break;
      case 'finding':
        out.push(`<div class="finding">${block.lines.map((line, i) => `<p>${i === 0 ? '<strong>What this means.</strong> ' : ''}${inline(line)}</p>`).join('')}</div>`);
        break;
      case 'table': {
        const align = block.align ?? block.header.map((_, i) => (i === 0 ? 'left' : 'right'));
        out.push('<table>');
        out.push(`<tr>${block.header.map((h) => `<th>${inline(h)}</th>`).join('')}</tr>`);
        for (const row of block.rows) {
          out.push(`<tr>${row.map((cell, i) => `<td${align[i] === 'right' ? ' class="r"' : ''}>${inline(cell)}</td>`).join('')}</tr>`);
        }
        out.push('</table>');
        break;
      }
      case 'image':
        out.push(`<figure><img alt="${escapeHtml(block.alt)}" src="data:image/png;base64,${block.png.toString('base64')}"><figcaption>${inline(block.alt)} (<a href="${escapeHtml(block.file)}">${escapeHtml(block.file)}</a>)</figcaption></figure>`);
        break;
      case 'code':
        out.push(`<pre><code>${escapeHtml(block.text)}</code></pre>`);
        break;
    }
  }
  out.push('</body></html>', '');
  return out.join('\n');
}
