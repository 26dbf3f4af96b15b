// The queries the repository's monitoring files run (monitoring/: the Grafana dashboard and
// the Prometheus alert rules), and the metric names in a PromQL expression, so tests can
// check that every metric a panel or a rule asks for is one the services export.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { repoRoot } from './stack.ts';

export const readmeFile = `${repoRoot}README.md`;
export const dashboardFile = `${repoRoot}monitoring/grafana-dashboard.json`;
export const alertsFile = `${repoRoot}monitoring/alerts.yml`;

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  targets?: { refId: string; expr: string }[];
}

export function dashboardPanels(): DashboardPanel[] {
  const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as { panels: DashboardPanel[] };
  return dashboard.panels;
}

export function dashboardQueries(): string[] {
  return dashboardPanels().flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}

export function alertQueries(): { alert: string; expr: string }[] {
  const file = parse(readFileSync(alertsFile, 'utf8')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  return file.groups.flatMap((g) => g.rules.map((r) => ({ alert: r.alert, expr: r.expr })));
}

/** PromQL words that are not metric names when not followed by `(`. */
const KEYWORDS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'count',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'quantile',
  'count_values',
  'group',
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/** The metric names an expression selects (`x_bucket` stays as written). */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\[[^\]]*\]/g, ' '); // ranges
  const names = new Set<string>();
  for (const m of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = bare.slice(m.index + m[0].length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names];
}

/**
 * The metric families a Prometheus text exposition declares (`# TYPE`), with the series names
 * a histogram adds (`_bucket`, `_sum`, `_count`).
 */
export function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m as unknown as [string, string, string];
    names.add(name);
    if (type === 'histogram' || type === 'summary') {
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    }
  }
  return names;
}

/** The metric families an exposition declares (`# TYPE` lines), by type. */
export function exposedFamilies(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** The `iot_` metrics the README's Observability table lists. */
export function readmeMetrics(): string[] {
  const text = readFileSync(readmeFile, 'utf8');
  return [...text.matchAll(/^\| `(iot_[a-z0-9_]+)` \|/gm)].map((m) => m[1]!);
}
