// Parser of the Prometheus text exposition format (0.0.4), what every /metrics answers:
// `name{label="value",…} value [timestamp]` per line, `#` lines are HELP/TYPE/comments.
// Histograms arrive as their _bucket/_sum/_count series; the console reads none of them.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class MetricsFormatError extends Error {
  constructor(line: number, problem: string) {
    super(`/metrics line ${line}: ${problem}`);
    this.name = 'MetricsFormatError';
  }
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;

export function parsePrometheusText(text: string): Sample[] {
  const out: Sample[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    out.push(parseLine(line, i + 1));
  }
  return out;
}

function parseLine(line: string, n: number): Sample {
  const name = NAME.exec(line)?.[0];
  if (name === undefined) throw new MetricsFormatError(n, 'no metric name');
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    while (true) {
      rest = rest.trimStart();
      if (rest.startsWith('}')) {
        rest = rest.slice(1);
        break;
      }
      const label = LABEL.exec(rest)?.[0];
      if (label === undefined) throw new MetricsFormatError(n, 'bad label name');
      rest = rest.slice(label.length).trimStart();
      if (!rest.startsWith('="')) throw new MetricsFormatError(n, `label ${label} has no value`);
      rest = rest.slice(2);
      let value = '';
      let j = 0;
      for (; j < rest.length && rest[j] !== '"'; j++) {
        if (rest[j] === '\\') {
          j++;
          value += rest[j] === 'n' ? '\n' : (rest[j] ?? '');
        } else value += rest[j];
      }
      if (j >= rest.length) throw new MetricsFormatError(n, `label ${label}: unterminated value`);
      labels[label] = value;
      rest = rest.slice(j + 1).trimStart();
      if (rest.startsWith(',')) rest = rest.slice(1);
    }
  }
  const [raw] = rest.trim().split(/\s+/);
  const value = parseValue(raw ?? '');
  if (value === undefined) throw new MetricsFormatError(n, `bad value "${raw ?? ''}"`);
  return { name, labels, value };
}

function parseValue(raw: string): number | undefined {
  if (raw === '+Inf' || raw === 'Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  if (raw === 'NaN') return NaN;
  if (raw === '') return undefined;
  const v = Number(raw);
  return Number.isNaN(v) ? undefined : v;
}
