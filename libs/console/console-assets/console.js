// @ts-check
// The operations console's page script: fetches the state every 2 s and redraws. Vanilla DOM
// and hand-drawn SVG sparklines; type-checked against the server's types (tsconfig.json here).
/** @typedef {import('../collector.ts').ConsoleState} ConsoleState */
/** @typedef {import('../snapshot.ts').StageView} StageView */
/** @typedef {import('../snapshot.ts').InstanceView} InstanceView */
/** @typedef {import('../snapshot.ts').EpochView} EpochView */

const REFRESH_MS = 2000;
const stateUrl = document.body.dataset.stateUrl ?? 'api/state';
const COLORS = {
  in: '#1565c0',
  out: '#1f8a4c',
  backlog: '#b86e00',
  lag: '#6a1b9a',
  alerts: '#c62828',
};

/** @type {ConsoleState | undefined} */
let last;
let lastOkAt = 0;

/**
 * A DOM element with attributes and children (strings become text).
 * @param {string} tag
 * @param {Record<string, string | undefined>} [attrs]
 * @param {(Node | string | null | undefined)[]} children
 * @returns {HTMLElement}
 */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

const number = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

/** @param {number | null | undefined} v */
const rate = (v) =>
  v === null || v === undefined ? '—' : `${v < 10 ? decimal.format(v) : number.format(v)}/s`;
/** @param {number | null | undefined} v */
const count = (v) => (v === null || v === undefined ? '—' : number.format(v));

/** @param {number | null | undefined} s */
function duration(s) {
  if (s === null || s === undefined) return '—';
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 90) return `${decimal.format(s)} s`;
  if (s < 5400) return `${decimal.format(s / 60)} min`;
  if (s < 172800) return `${decimal.format(s / 3600)} h`;
  return `${decimal.format(s / 86400)} d`;
}

/** @param {number | undefined} n */
function bytes(n) {
  if (n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : decimal.format(n)} ${units[i]}`;
}

/** @param {number | undefined} seconds since the Unix epoch */
function clock(seconds) {
  if (seconds === undefined) return '—';
  return new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 19);
}

/**
 * A sparkline of the last values (null = gap), scaled to its own maximum.
 * @param {(number | null)[] | undefined} values
 * @param {string} color
 */
function sparkline(values, color) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', '0 0 100 24');
  svg.setAttribute('preserveAspectRatio', 'none');
  const points = values ?? [];
  const max = Math.max(1e-9, ...points.map((v) => v ?? 0));
  const step = points.length > 1 ? 100 / (points.length - 1) : 100;
  /** @type {string[]} */
  const runs = [];
  let run = '';
  points.forEach((v, i) => {
    if (v === null) {
      if (run) runs.push(run);
      run = '';
      return;
    }
    const x = (i * step).toFixed(2);
    const y = (22 - (v / max) * 20).toFixed(2);
    run += `${run ? 'L' : 'M'}${x},${y} `;
  });
  if (run) runs.push(run);
  for (const d of runs) {
    const area = document.createElementNS(ns, 'path');
    const first = /M([\d.]+)/.exec(d)?.[1] ?? '0';
    const lastX = [...d.matchAll(/[ML]([\d.]+),/g)].at(-1)?.[1] ?? '0';
    area.setAttribute('d', `${d}L${lastX},24 L${first},24 Z`);
    area.setAttribute('class', 'area');
    area.setAttribute('fill', color);
    const line = document.createElementNS(ns, 'path');
    line.setAttribute('d', d);
    line.setAttribute('stroke', color);
    svg.append(area, line);
  }
  return svg;
}

/**
 * One labelled figure with its sparkline.
 * @param {string} label
 * @param {string} field
 * @param {string} text
 * @param {(number | null)[] | undefined} series
 * @param {string} color
 */
function figure(label, field, text, series, color) {
  return h(
    'div',
    { class: 'figure' },
    h('span', { class: 'label' }, label),
    sparkline(series, color),
    h('span', { class: 'value', 'data-field': field }, text),
  );
}

/** @param {InstanceView} i */
function instanceRow(i) {
  const up = i.scrape === 'ok';
  return h(
    'li',
    { 'data-instance': i.instance },
    h('span', { class: `dot${up ? '' : ' down'}`, title: up ? 'metrics read' : i.scrape }),
    h('span', { class: 'name', title: i.ops ?? 'no ops URL' }, i.instance),
    ...i.partitions.map((p) => h('span', { class: 'chip', title: `partition ${p}` }, `p${p}`)),
    i.role ? h('span', { class: `tag ${i.role}` }, i.role) : null,
    i.suspended ? h('span', { class: 'tag suspended' }, 'suspended') : null,
    i.restoring ? h('span', { class: 'tag restoring' }, 'restoring') : null,
    up ? null : h('span', { class: 'tag error' }, i.scrape),
  );
}

/** @param {ConsoleState['checkpoints']} c */
function checkpointLine(c) {
  const text =
    c.lastEpoch === undefined
      ? 'no complete epoch yet'
      : `epoch ${c.lastEpoch} · ${duration(c.lastCompleteAgeSeconds)} ago · ${bytes(c.lastBytes)}`;
  return h('p', { class: 'epoch-line' }, text);
}

/**
 * @param {StageView} s
 * @param {ConsoleState['history']} history
 * @param {ConsoleState['checkpoints']} checkpoints
 */
function stageCard(s, history, checkpoints) {
  const series = (/** @type {string} */ name) => history.series[`${name}:${s.name}`];
  const isCheckpointer = s.name === 'checkpointer';
  return h(
    'article',
    { class: 'stage', 'data-stage': s.name },
    h(
      'h3',
      {},
      s.name,
      h(
        'span',
        { class: 'count', 'data-field': 'instances' },
        `${s.instances.length} instance${s.instances.length === 1 ? '' : 's'}`,
      ),
    ),
    isCheckpointer ? checkpointLine(checkpoints) : null,
    isCheckpointer ? null : figure('in', 'in-rate', rate(s.inRate), series('in'), COLORS.in),
    isCheckpointer ? null : figure('out', 'out-rate', rate(s.outRate), series('out'), COLORS.out),
    s.backlog === null
      ? null
      : figure('backlog', 'backlog', count(s.backlog), series('backlog'), COLORS.backlog),
    s.maxLagSeconds === null
      ? null
      : figure('event lag', 'lag', duration(s.maxLagSeconds), series('lag'), COLORS.lag),
    h('ul', { class: 'instances' }, ...s.instances.map(instanceRow)),
  );
}

/** @param {ConsoleState} st */
function partitionsTable(st) {
  const rows = st.partitions;
  if (rows.length === 0) return [h('tr', {}, h('td', { class: 'empty' }, 'no partitions owned'))];
  const maxBacklog = Math.max(1, ...rows.map((r) => r.backlog ?? 0));
  /** @type {HTMLElement[]} */
  const out = [
    h(
      'tr',
      {},
      h('th', {}, 'partition'),
      h('th', { class: 'left' }, 'owner'),
      h('th', {}, 'in'),
      h('th', {}, 'backlog'),
      h('th', {}, 'event-time lag'),
      h('th', {}, 'watermark (UTC)'),
      h('th', {}, 'open windows'),
    ),
  ];
  let stage = '';
  for (const r of rows) {
    if (r.stage !== stage) {
      stage = r.stage;
      out.push(h('tr', { class: 'group' }, h('td', { colspan: '7' }, stage)));
    }
    const bar = h('span', { class: 'bar' });
    // Through the CSSOM: the page's Content-Security-Policy refuses style attributes.
    bar.style.width = `${r.backlog === undefined ? 0 : Math.round((r.backlog / maxBacklog) * 60)}px`;
    out.push(
      h(
        'tr',
        { 'data-partition': `${r.stage}/${r.partition}` },
        h('td', {}, String(r.partition)),
        h('td', { class: 'left name' }, r.owner ?? h('span', { class: 'bad' }, 'no owner')),
        h('td', {}, rate(r.inRate)),
        h('td', { 'data-field': 'backlog' }, bar, count(r.backlog)),
        h('td', { 'data-field': 'lag' }, duration(r.lagSeconds)),
        h('td', {}, clock(r.watermark)),
        h('td', {}, count(r.openWindows)),
      ),
    );
  }
  return out;
}

/**
 * @param {string} title
 * @param {EpochView[]} epochs
 * @param {boolean} named
 */
function epochTable(title, epochs, named) {
  if (epochs.length === 0) return h('p', { class: 'empty' }, `no ${title} yet`);
  return h(
    'table',
    { 'data-table': title },
    h(
      'tr',
      {},
      h('th', {}, named ? 'savepoint' : 'epoch'),
      h('th', {}, 'age'),
      h('th', {}, 'size'),
      h('th', {}, 'parts'),
    ),
    ...epochs.map((e) =>
      h(
        'tr',
        {},
        h('td', {}, named ? `${e.name ?? ''} (epoch ${e.epoch})` : String(e.epoch)),
        h('td', {}, duration(e.ageSeconds)),
        h('td', {}, bytes(e.bytes)),
        h('td', {}, String(e.parts)),
      ),
    ),
  );
}

/** @param {ConsoleState} st */
function checkpointsPanel(st) {
  const c = st.checkpoints;
  return [
    h(
      'dl',
      { class: 'kv' },
      h('dt', {}, 'last complete epoch'),
      h('dd', { id: 'last-epoch' }, c.lastEpoch === undefined ? '—' : String(c.lastEpoch)),
      h('dt', {}, 'age'),
      h('dd', {}, duration(c.lastCompleteAgeSeconds)),
      h('dt', {}, 'size'),
      h('dd', {}, bytes(c.lastBytes)),
      h('dt', {}, 'complete / abandoned'),
      h(
        'dd',
        {},
        `${c.complete} / `,
        h('span', { class: c.abandoned > 0 ? 'warn' : '' }, String(c.abandoned)),
      ),
      h('dt', {}, 'leader'),
      h('dd', { class: 'name' }, c.leader ?? h('span', { class: 'bad' }, 'none')),
    ),
    c.storageError ? h('p', { class: 'bad' }, `checkpoint storage: ${c.storageError}`) : null,
    epochTable('checkpoints', c.recent, false),
    h('h2', { class: 'sub' }, 'Savepoints'),
    epochTable('savepoints', c.savepoints, true),
  ].filter((x) => x !== null);
}

/** @param {ConsoleState} st */
function alertsPanel(st) {
  const kinds = Object.entries(st.alerts.byKind).sort((a, b) => b[1] - a[1]);
  const dlq = st.dlq.filter((d) => d.total > 0);
  return [
    figure(
      'alerts/min',
      'alerts-per-minute',
      st.alerts.perMinute === null ? '—' : decimal.format(st.alerts.perMinute),
      st.history.series.alertsPerMinute,
      COLORS.alerts,
    ),
    h(
      'p',
      { class: 'muted' },
      kinds.length === 0
        ? 'no alerts yet'
        : kinds.map(([k, n]) => `${k} ${number.format(n)}`).join(' · '),
    ),
    figure(
      'DLQ/min',
      'dlq-per-minute',
      count(st.history.series.dlqPerMinute?.at(-1)),
      st.history.series.dlqPerMinute,
      COLORS.backlog,
    ),
    dlq.length === 0
      ? h('p', { class: 'empty' }, 'nothing sent to the DLQ')
      : h(
          'table',
          { 'data-table': 'dlq' },
          h(
            'tr',
            {},
            h('th', {}, 'stage'),
            h('th', { class: 'left' }, 'reason'),
            h('th', {}, 'total'),
            h('th', {}, 'per min'),
          ),
          ...dlq.map((d) =>
            h(
              'tr',
              {},
              h('td', {}, d.stage),
              h('td', { class: 'left' }, d.reason),
              h('td', {}, count(d.total)),
              h('td', {}, d.perMinute === null ? '—' : decimal.format(d.perMinute)),
            ),
          ),
        ),
  ];
}

/** @param {string} id @param {(Node | string | null)[]} children */
function fill(id, children) {
  const el = document.getElementById(id);
  if (el) el.replaceChildren(...children.filter((c) => c !== null));
}

/** @param {ConsoleState} st */
function render(st) {
  const badge = document.getElementById('pipeline-state');
  if (badge) {
    badge.dataset.state = st.state;
    badge.textContent = st.state;
  }
  const ingest = st.stages.find((s) => s.name === 'ingest');
  const writer = st.stages.find((s) => s.name === 'writer');
  fill('headline', [
    h('span', {}, 'in ', h('b', {}, rate(ingest?.inRate))),
    h('span', {}, 'rows ', h('b', {}, rate(writer?.outRate))),
    h(
      'span',
      {},
      'epoch ',
      h('b', {}, st.checkpoints.lastEpoch === undefined ? '—' : String(st.checkpoints.lastEpoch)),
    ),
  ]);
  fill(
    'stages',
    st.stages.length === 0
      ? [h('p', { class: 'empty' }, 'no instance announces itself on the control plane')]
      : st.stages.map((s) => stageCard(s, st.history, st.checkpoints)),
  );
  fill('partitions', partitionsTable(st));
  fill('checkpoints', checkpointsPanel(st));
  fill('alerts', alertsPanel(st));
}

function tickClock() {
  const el = document.getElementById('updated');
  if (el && lastOkAt > 0)
    el.textContent = `updated ${duration((Date.now() - lastOkAt) / 1000)} ago`;
}

async function refresh() {
  try {
    const res = await fetch(stateUrl, { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    last = /** @type {ConsoleState} */ (await res.json());
    lastOkAt = Date.now();
    render(last);
  } catch (err) {
    // Keep the last picture, say it is stale.
    const badge = document.getElementById('pipeline-state');
    if (badge) {
      badge.dataset.state = 'unreachable';
      badge.textContent = `console unreachable (${err instanceof Error ? err.message : String(err)})`;
    }
  } finally {
    tickClock();
    setTimeout(refresh, REFRESH_MS);
  }
}

setInterval(tickClock, 1000);
void refresh();
