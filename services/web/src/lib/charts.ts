/**
 * Horizontal bar charts as SVG strings, drawn on the server so the summary reads without
 * JavaScript (the page also shows the same numbers as a table). Labels are XML-escaped here;
 * the markup is otherwise built only from numbers.
 */
import { formatCount } from './format.ts';

const escapeXml = (text: string) =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** Width given to a label character (the chart's text is 12px, gas.css). */
export const LABEL_CHAR_PX = 7;

export function barChartSvg(title: string, counts: Record<string, number>, maxBars = 15): string {
  const entries = Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .slice(0, maxBars);
  if (entries.length === 0) return '';
  // Labels are right-aligned before the bars: room for the longest one (12px text is at most
  // ~7px a character; SO terms run to 34 characters, non_coding_transcript_exon_variant).
  const labelWidth = Math.max(
    120,
    Math.ceil(Math.max(...entries.map(([label]) => label.length)) * LABEL_CHAR_PX) + 12,
  );
  const barArea = 360;
  const rowHeight = 20;
  const max = Math.max(...entries.map(([, n]) => n), 1);
  const height = entries.length * rowHeight + 10;
  const rows = entries
    .map(([label, n], i) => {
      const y = i * rowHeight + 5;
      const width = Math.max(1, Math.round((n / max) * barArea));
      return `<text x="${labelWidth - 6}" y="${y + 14}" text-anchor="end">${escapeXml(label)}</text><rect x="${labelWidth}" y="${y + 2}" width="${width}" height="${rowHeight - 6}"></rect><text x="${labelWidth + width + 4}" y="${y + 14}">${formatCount(n)}</text>`;
    })
    .join('');
  return `<svg class="gas-chart" role="img" aria-label="${escapeXml(title)}" xmlns="http://www.w3.org/2000/svg" width="${labelWidth + barArea + 80}" height="${height}" viewBox="0 0 ${labelWidth + barArea + 80} ${height}"><title>${escapeXml(title)}</title>${rows}</svg>`;
}
