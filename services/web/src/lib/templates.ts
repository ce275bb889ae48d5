// The Handlebars instance of the pages, with the few helpers the templates use (all output is escaped unless a helper returns SafeString).
import Handlebars from 'handlebars';
import { formatBytes, formatCount, formatDuration, formatTime } from './format.ts';

export function createTemplateEngine(): typeof Handlebars {
  const engine = Handlebars.create();
  engine.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  engine.registerHelper(
    'gt',
    (a: unknown, b: unknown) => typeof a === 'number' && typeof b === 'number' && a > b,
  );
  engine.registerHelper('number', (n: unknown) => (typeof n === 'number' ? formatCount(n) : ''));
  engine.registerHelper('bytes', (n: unknown) => (typeof n === 'number' ? formatBytes(n) : ''));
  engine.registerHelper('time', (iso: unknown) => (typeof iso === 'string' ? formatTime(iso) : ''));
  engine.registerHelper('duration', (a: unknown, b: unknown) =>
    formatDuration(typeof a === 'string' ? a : undefined, typeof b === 'string' ? b : undefined),
  );
  engine.registerHelper('impacts', () => ['HIGH', 'MODERATE', 'LOW', 'MODIFIER']);
  // Server-rendered SVG built by lib/charts.ts from numbers and escaped labels only.
  engine.registerHelper(
    'svg',
    (markup: unknown) => new engine.SafeString(typeof markup === 'string' ? markup : ''),
  );
  return engine;
}
