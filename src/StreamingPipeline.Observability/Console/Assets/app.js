'use strict';
// The pipeline console: polls /api/overview (Kafka offsets) and /metrics (Prometheus text, when served) once a
// second for the pipeline page, and calls the console API and POST /query/sql for the other pages.
(() => {
  const TOPICS = { input: 'input-user-events', output: 'output-user-events', dlq: 'user-events-dlq' };
  const GROUPS = { dedup: 'pipeline-dedup', ingest: 'pipeline-ingest' };
  const POLL_MS = 1000;
  const TOKEN_KEY = 'pipeline-console-token';
  const EXAMPLES = [
    'select * from "user-events" limit 10',
    'select eventType, count(*) as events from user_events group by 1 order by 2 desc',
    'select count(*) as events, count(distinct userId) as users, max("timestamp") as latest from user_events',
    'select page, count(*) as views from user_events where eventType = \'page_view\' group by 1 order by 2 desc limit 10',
    'select userId, count(*) as events from user_events group by 1 order by 2 desc limit 10',
  ];

  const $ = id => document.getElementById(id);

  /** Creates an element; attributes starting with "on" are listeners, children are nodes or text. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else if (k === 'class') node.className = v;
      else if (k === 'testid') node.dataset.testid = v;
      else node.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) {
      if (c !== undefined && c !== null) node.append(c instanceof Node ? c : String(c));
    }
    return node;
  }

  const fmt = {
    count: v => v >= 1e9 ? (v / 1e9).toFixed(2) + 'G' : v >= 1e6 ? (v / 1e6).toFixed(2) + 'M' : v >= 1e4 ? (v / 1e3).toFixed(1) + 'k' : String(Math.round(v)),
    rate: v => fmt.count(v) + '/s',
    ms: v => v >= 1000 ? (v / 1000).toFixed(2) + ' s' : v >= 10 ? Math.round(v) + ' ms' : v.toFixed(1) + ' ms',
    bytes: v => v >= 2 ** 30 ? (v / 2 ** 30).toFixed(2) + ' GiB' : v >= 2 ** 20 ? (v / 2 ** 20).toFixed(1) + ' MiB' : v >= 1024 ? (v / 1024).toFixed(1) + ' KiB' : Math.round(v) + ' B',
  };

  // ---- API access: the bearer token, when the server requires one, is asked once and kept for this tab only.
  let tokenWanted = null; // resolves when the token form is submitted; shared by every request waiting for it
  (function takeTokenFromUrl() {
    const url = new URL(location.href);
    const token = url.searchParams.get('token');
    if (token) {
      sessionStorage.setItem(TOKEN_KEY, token);
      url.searchParams.delete('token');
      history.replaceState(null, '', url.pathname + url.search + url.hash);
    }
  })();

  /** Shows the token form (with `problem`, when a token was refused) until a token is entered. */
  function askForToken(problem) {
    if (!tokenWanted) {
      tokenWanted = new Promise(resolve => {
        const dialog = $('token-dialog');
        const error = $('token-error');
        error.textContent = problem || '';
        error.hidden = !problem;
        $('token-input').value = '';
        $('token-form').onsubmit = e => {
          e.preventDefault();
          const entered = $('token-input').value.trim();
          if (!entered) return;
          sessionStorage.setItem(TOKEN_KEY, entered);
          dialog.close();
          tokenWanted = null;
          resolve();
        };
        // Escape would close the form with every request still waiting for a token: keep it open.
        dialog.oncancel = e => e.preventDefault();
        $('status').textContent = problem ? 'token refused' : 'waiting for the bearer token';
        if (!dialog.open) dialog.showModal();
        $('token-input').focus();
      });
    }
    return tokenWanted;
  }

  /** fetch with the bearer token; on 401 asks for the token (saying so when the one sent was refused) and tries again. */
  async function request(path, init) {
    for (;;) {
      const token = sessionStorage.getItem(TOKEN_KEY);
      const headers = new Headers((init && init.headers) || {});
      if (token) headers.set('Authorization', 'Bearer ' + token);
      const response = await fetch(path, Object.assign({}, init, { headers, cache: 'no-store' }));
      if (response.status !== 401) return response;
      // Another request may have got a new token meanwhile: try that one before asking.
      if (sessionStorage.getItem(TOKEN_KEY) !== token) continue;
      sessionStorage.removeItem(TOKEN_KEY);
      await askForToken(token
        ? 'The server refused that token (401 Unauthorized): it must be the one given to pipeline with --auth-token or PIPELINE_AUTH_TOKEN.'
        : '');
    }
  }

  /** GETs or POSTs JSON; resolves to {ok, status, body} or {ok:false, error} (never throws). */
  async function json(path, init) {
    try {
      const response = await request(path, init);
      const text = await response.text();
      let body = null;
      try { body = text ? JSON.parse(text) : null; } catch { body = null; }
      if (!response.ok) {
        const error = body && body.error ? body.error : `${response.status} ${response.statusText || ''}`.trim();
        return { ok: false, status: response.status, code: body && body.code, error };
      }
      return { ok: true, status: response.status, body };
    } catch (e) {
      return { ok: false, status: 0, error: 'the console server does not answer (' + e.message + ')' };
    }
  }

  // ---- Prometheus text exposition: name{label="value",...} value [timestamp]
  function parseMetrics(text) {
    const samples = new Map();
    const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
    const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (const raw of text.split('\n')) {
      if (!raw || raw[0] === '#') continue;
      const m = line.exec(raw);
      if (!m) continue;
      const labels = {};
      if (m[2]) for (const l of m[2].matchAll(label)) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => c === 'n' ? '\n' : c);
      const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : parseFloat(m[3]);
      if (!samples.has(m[1])) samples.set(m[1], []);
      samples.get(m[1]).push({ labels, value });
    }
    return samples;
  }

  /** Sum of a metric's samples whose labels match `where`; undefined when the metric is absent. */
  function sum(metrics, name, where) {
    const list = metrics && metrics.get(name);
    if (!list) return undefined;
    let total = 0, found = false;
    for (const s of list) {
      if (where && Object.entries(where).some(([k, v]) => s.labels[k] !== v)) continue;
      total += s.value;
      found = true;
    }
    return found ? total : undefined;
  }

  /** Samples of a metric grouped by one label, summed. */
  function byLabel(metrics, name, key) {
    const out = new Map();
    for (const s of (metrics && metrics.get(name)) || []) {
      const k = s.labels[key] ?? '';
      out.set(k, (out.get(k) || 0) + s.value);
    }
    return out;
  }

  // ---- Pipeline page
  const samples = []; // {t, overview, metrics}, newest last
  let charts = null;

  const COMPONENTS = ['generator', 'broker', 'dedup', 'ingest', 'query'];

  function buildPipelinePage() {
    const node = (id, name, kind) => el('div', { class: 'node ' + kind, id: 'node-' + id, testid: 'node-' + id },
      el('div', { class: 'name' }, name), el('div', { class: 'detail', id: 'detail-' + id }), el('span', { class: 'pill', id: 'pill-' + id, testid: 'pill-' + id }, '…'));
    const edge = (id, cls) => el('div', { class: 'edge ' + (cls || ''), id: 'edge-' + id, testid: 'edge-' + id },
      el('div', { class: 'rate', id: 'rate-' + id }, '–'), el('div', { class: 'arrow' }, cls === 'down' ? '↓' : '——▶'), el('div', { class: 'source', id: 'source-' + id }));
    $('diagram').replaceChildren(
      node('generator', 'generator', 'component'), edge('generator-input'),
      node('input', TOPICS.input, 'topic'), edge('input-dedup'),
      node('dedup', 'dedup', 'component'), edge('dedup-output'),
      node('output', TOPICS.output, 'topic'), edge('output-store'),
      node('store', 'store (ingest + query)', 'component'),
      edge('dedup-dlq', 'down'),
      node('dlq', TOPICS.dlq, 'topic dlq'));
    const parent = $('charts');
    parent.replaceChildren();
    charts = {
      throughput: new LineChart(parent, 'throughput', 'Throughput (records/s)', fmt.rate),
      lag: new LineChart(parent, 'lag', 'Dedup lag per partition (records, against the last stable offset)', fmt.count),
      commit: new LineChart(parent, 'commit', 'Commit latency (mean per interval)', fmt.ms),
      e2e: new LineChart(parent, 'e2e', 'End-to-end latency (event time → row visible)', fmt.ms),
      state: new LineChart(parent, 'state', 'Dedup state size', fmt.bytes),
    };
  }

  /** Rate of a counter between the newest sample and the one about 3 s before it (smooths 1 s jitter). */
  function rate(read) {
    if (samples.length < 2) return undefined;
    const now = samples[samples.length - 1];
    const then = samples[Math.max(0, samples.length - 4)];
    const a = read(then), b = read(now);
    const seconds = (now.t - then.t) / 1000;
    if (a === undefined || b === undefined || seconds <= 0) return undefined;
    return Math.max(0, (b - a) / seconds);
  }

  /** Mean of a histogram over the last interval: Δsum / Δcount, in ms. */
  function histogramMeanMs(name, where) {
    if (samples.length < 2) return undefined;
    const now = samples[samples.length - 1], then = samples[samples.length - 2];
    const count = sum(now.metrics, name + '_count', where) - sum(then.metrics, name + '_count', where);
    const total = sum(now.metrics, name + '_sum', where) - sum(then.metrics, name + '_sum', where);
    return count > 0 ? total / count * 1000 : undefined;
  }

  /** An upper bound of a quantile over the last interval, from the histogram's bucket deltas, in ms. */
  function histogramQuantileMs(name, q) {
    if (samples.length < 2) return undefined;
    const now = byLabel(samples[samples.length - 1].metrics, name + '_bucket', 'le');
    const then = byLabel(samples[samples.length - 2].metrics, name + '_bucket', 'le');
    const buckets = [...now.entries()].map(([le, c]) => [parseFloat(le), c - (then.get(le) || 0)]).sort((a, b) => a[0] - b[0]);
    const total = buckets.length ? buckets[buckets.length - 1][1] : 0;
    if (total <= 0) return undefined;
    const bucket = buckets.find(([, c]) => c >= q * total);
    return bucket && Number.isFinite(bucket[0]) ? bucket[0] * 1000 : undefined;
  }

  const topicEnd = name => s => s.overview && (s.overview.topics.find(t => t.name === name) || {}).end;
  const groupCommitted = (group, topic) => s => {
    const g = s.overview && s.overview.groups.find(x => x.group === group);
    return g ? g.partitions.filter(p => p.topic === topic).reduce((a, p) => a + p.committed, 0) : undefined;
  };
  const metric = (name, where) => s => sum(s.metrics, name, where);

  /** The first source that has a value: [value, where it came from]. */
  function first(...sources) {
    for (const [label, read] of sources) {
      const value = rate(read);
      if (value !== undefined) return [value, label];
    }
    return [undefined, ''];
  }

  let serverClockOffset = 0; // server time - browser time, from the last overview

  async function pollPipeline() {
    const [overview, metricsResponse] = await Promise.all([json('/api/overview'), fetchMetrics()]);
    const now = Date.now();
    // Every point is on the server's clock, also when Kafka did not answer; a point not after the last one is
    // dropped (a cached overview, a clock step), so no line ever runs back in time.
    if (overview.ok) serverClockOffset = overview.body.timeMs - now;
    const t = overview.ok ? overview.body.timeMs : now + serverClockOffset;
    if (samples.length && t <= samples[samples.length - 1].t) return;
    samples.push({ t, overview: overview.ok ? overview.body : null, metrics: metricsResponse.metrics });
    while (samples.length > 10) samples.shift();
    renderPipeline(overview, metricsResponse, now);
  }

  let info = { metrics: false, bootstrapServers: null, dlqTopic: TOPICS.dlq };

  async function fetchMetrics() {
    if (!info.metrics) return { metrics: null, note: 'no metrics' };
    try {
      const response = await request('/metrics');
      if (!response.ok) return { metrics: null, note: response.status === 404 ? 'no metrics' : 'metrics: HTTP ' + response.status };
      return { metrics: parseMetrics(await response.text()), note: '' };
    } catch (e) {
      return { metrics: null, note: 'no metrics' };
    }
  }

  function componentState(name, overview, metrics) {
    const up = sum(metrics, 'pipeline_component_up', { component: name });
    if (up !== undefined) return up >= 1 ? ['up', 'up'] : ['down', 'down'];
    if (name === 'query') return ['up', 'up']; // it serves this page
    if (name === 'broker') {
      if (overview.ok) return ['up', 'up'];
      return overview.code === 'kafka_not_configured' ? ['unknown', 'not configured'] : ['down', 'unreachable'];
    }
    return ['unknown', 'no metrics'];
  }

  function setPill(id, [cls, text]) {
    const pill = $('pill-' + id);
    pill.className = 'pill ' + cls;
    pill.textContent = text;
    pill.dataset.state = cls;
  }

  function setEdge(id, [value, source]) {
    $('rate-' + id).textContent = value === undefined ? '–' : fmt.rate(value);
    $('edge-' + id).dataset.rate = value === undefined ? '' : String(value);
    $('source-' + id).textContent = source;
  }

  function renderPipeline(overview, metricsResponse, now) {
    const metrics = metricsResponse.metrics;
    const status = $('status');
    if (!overview.ok) {
      status.textContent = overview.code === 'kafka_not_configured' ? 'Kafka not configured' : 'Kafka: ' + overview.error;
      status.classList.toggle('bad', overview.code !== 'kafka_not_configured');
    } else {
      status.textContent = 'updated ' + new Date(now).toLocaleTimeString() + (metrics ? '' : ' · ' + metricsResponse.note);
      status.classList.remove('bad');
    }
    setPill('generator', componentState('generator', overview, metrics));
    setPill('dedup', componentState('dedup', overview, metrics));
    const ingest = componentState('ingest', overview, metrics), query = componentState('query', overview, metrics);
    setPill('store', ingest[0] === 'unknown' ? query : ingest);
    const broker = componentState('broker', overview, metrics);
    for (const t of ['input', 'output', 'dlq']) setPill(t, broker);
    for (const [id, topic] of [['input', TOPICS.input], ['output', TOPICS.output], ['dlq', TOPICS.dlq]]) {
      const t = overview.ok && overview.body.topics.find(x => x.name === topic);
      // The sum of last stable offsets: on a transactional topic (output, DLQ) it counts commit markers and aborted
      // records too, so it is labelled as offsets, not records.
      const detail = $('detail-' + id);
      detail.textContent = t ? `${t.partitions.length} partition${t.partitions.length === 1 ? '' : 's'} · offsets ${fmt.count(t.end)}` : 'absent';
      detail.title = t ? 'sum of the partitions\' last stable offsets (a transactional topic\'s offsets include its transaction markers)' : '';
    }

    const input = first(['metrics', metric('generator_records_acknowledged_total')], ['offsets', topicEnd(TOPICS.input)]);
    const consumed = first(['metrics', metric('processing_records_in_total', { job: 'dedup' })], ['metrics', metric('processing_records_in_total')],
      ['committed offsets', groupCommitted(GROUPS.dedup, TOPICS.input)]);
    const output = first(['metrics', metric('processing_records_out_total', { job: 'dedup' })], ['metrics', metric('processing_records_out_total')],
      ['offsets, incl. txn markers', topicEnd(TOPICS.output)]);
    const stored = first(['metrics', metric('ingest_rows_total')], ['committed offsets', groupCommitted(GROUPS.ingest, TOPICS.output)]);
    const dlq = first(['metrics', metric('processing_dlq_records_total')], ['offsets, incl. txn markers', topicEnd(TOPICS.dlq)]);
    const duplicates = first(['metrics', metric('processing_duplicates_dropped_total')]);
    setEdge('generator-input', input);
    setEdge('input-dedup', consumed);
    setEdge('dedup-output', output);
    setEdge('output-store', stored);
    setEdge('dedup-dlq', dlq);

    const t = samples[samples.length - 1].t;
    const tp = charts.throughput;
    tp.push('input', t, input[0]);
    tp.push('output', t, output[0]);
    tp.push('duplicates', t, duplicates[0]);
    tp.push('DLQ', t, dlq[0]);
    tp.setMessage(overview.ok || metrics ? '' : overview.error);

    const lag = charts.lag;
    const group = overview.ok && overview.body.groups.find(g => g.group === GROUPS.dedup);
    if (group) {
      for (const p of group.partitions) lag.push('p' + p.partition, t, p.lag);
      lag.setMessage('');
    } else if (metrics && metrics.get('processing_consumer_lag_records')) {
      for (const [p, v] of byLabel(metrics, 'processing_consumer_lag_records', 'partition')) lag.push('p' + p, t, v);
      lag.setMessage('');
    } else {
      lag.setMessage(overview.ok ? `no group ${GROUPS.dedup} yet` : 'Kafka unavailable');
    }

    const noMetrics = metrics ? '' : metricsResponse.note || 'no metrics';
    charts.commit.push('dedup', t, histogramMeanMs('processing_commit_duration_seconds'));
    charts.commit.push('ingest', t, histogramMeanMs('ingest_commit_duration_seconds'));
    charts.commit.setMessage(noMetrics);
    charts.e2e.push('mean', t, histogramMeanMs('pipeline_end_to_end_latency_seconds'));
    charts.e2e.push('p99 ≤', t, histogramQuantileMs('pipeline_end_to_end_latency_seconds', 0.99));
    charts.e2e.push('freshness', t, histogramMeanMs('ingest_freshness_seconds'));
    charts.e2e.setMessage(noMetrics);
    charts.state.push('disk', t, sum(metrics, 'processing_state_disk_bytes'));
    charts.state.push('memtable', t, sum(metrics, 'processing_state_memtable_bytes'));
    charts.state.setMessage(noMetrics);
    const keys = sum(metrics, 'processing_state_keys');
    $('detail-dedup').textContent = keys === undefined ? '' : fmt.count(keys) + ' keys in state';
    $('detail-store').textContent = '';
    $('detail-generator').textContent = '';
    if (current === 'pipeline') renderCharts();
  }

  /** Draws the charts up to the newest sample; they keep collecting while another page is shown. */
  function renderCharts() {
    if (!samples.length) return;
    const t = samples[samples.length - 1].t;
    for (const c of Object.values(charts)) c.render(t);
  }

  // ---- SQL page
  let lastResult = null;

  function buildSqlPage() {
    const select = $('sql-examples');
    select.replaceChildren(el('option', { value: '' }, 'choose…'), ...EXAMPLES.map(q => el('option', { value: q }, q)));
    select.addEventListener('change', () => {
      if (select.value) $('sql-text').value = select.value;
      select.value = '';
      $('sql-text').focus();
    });
    $('sql-run').addEventListener('click', runSql);
    $('sql-text').addEventListener('keydown', e => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        runSql();
      }
    });
    $('sql-csv').addEventListener('click', downloadCsv);
  }

  async function runSql() {
    const sql = $('sql-text').value.trim();
    if (!sql) return;
    $('sql-run').disabled = true;
    $('sql-info').textContent = 'running…';
    const result = await json('/query/sql', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sql }) });
    $('sql-run').disabled = false;
    const error = $('sql-error');
    const body = result.body;
    const failure = !result.ok ? result.error
      : body && body.exceptions && body.exceptions.length ? body.exceptions.map(x => `${x.message} (error ${x.errorCode})`).join('\n') : null;
    $('sql-info').textContent = body && typeof body.timeUsedMs === 'number'
      ? `${body.numRowsResultSet ?? 0} rows${body.partialResult ? ' (truncated)' : ''} · timeUsedMs ${body.timeUsedMs}` : '';
    if (failure) {
      error.textContent = failure;
      error.hidden = false;
      $('sql-result').replaceChildren();
      lastResult = null;
      $('sql-csv').disabled = true;
      return;
    }
    error.hidden = true;
    const table = body.resultTable || { dataSchema: { columnNames: [], columnDataTypes: [] }, rows: [] };
    lastResult = table;
    $('sql-csv').disabled = false;
    const names = table.dataSchema.columnNames, types = table.dataSchema.columnDataTypes;
    const numeric = types.map(t => /INT|LONG|FLOAT|DOUBLE|DECIMAL|BIG/i.test(t));
    $('sql-result').replaceChildren(el('table', { testid: 'sql-table' },
      el('thead', null, el('tr', null, names.map((n, i) => el('th', { title: types[i] }, n)))),
      el('tbody', null, table.rows.map(row => el('tr', null, row.map((v, i) => el('td', { class: numeric[i] ? 'num' : null }, cell(v))))))));
  }

  const cell = v => v === null ? 'null' : typeof v === 'object' ? JSON.stringify(v) : String(v);

  function downloadCsv() {
    if (!lastResult) return;
    const quote = v => {
      const s = v === null ? '' : cell(v);
      return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
    };
    const lines = [lastResult.dataSchema.columnNames.map(quote).join(','), ...lastResult.rows.map(r => r.map(quote).join(','))];
    const url = URL.createObjectURL(new Blob([lines.join('\r\n') + '\r\n'], { type: 'text/csv' }));
    const link = el('a', { href: url, download: 'query.csv' });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  // ---- Kafka pages (topics, groups, DLQ) are drawn by kafka.js when it is loaded.
  const pages = { pipeline: null, topics: null, groups: null, dlq: null, sql: null };

  let current = null;

  /**
   * Polls once a second whatever page is shown, so the charts have no gap after a visit to another page; the next
   * poll starts after the last one ended, so there is never more than one in flight.
   */
  async function pipelineLoop() {
    const started = Date.now();
    try {
      await pollPipeline();
    } catch (e) {
      $('status').textContent = 'console error: ' + e.message;
      $('status').classList.add('bad');
    }
    setTimeout(pipelineLoop, Math.max(0, POLL_MS - (Date.now() - started)));
  }

  function show(page) {
    if (!(page in pages)) page = 'pipeline';
    for (const name of Object.keys(pages)) $('page-' + name).hidden = name !== page;
    for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.page === page);
    current = page;
    if (page === 'pipeline') {
      renderCharts();
    } else if (window.ConsoleKafkaPages && window.ConsoleKafkaPages[page]) {
      window.ConsoleKafkaPages[page]();
    }
  }

  window.Console = { json, el, fmt, $, info: () => info };

  buildPipelinePage();
  buildSqlPage();
  window.addEventListener('hashchange', () => show(location.hash.slice(1)));
  // Deferred scripts run before DOMContentLoaded: by then kafka.js has registered its pages.
  document.addEventListener('DOMContentLoaded', async () => {
    const result = await json('/api/console');
    if (result.ok) {
      info = result.body;
      TOPICS.dlq = info.dlqTopic;
      $('node-dlq').querySelector('.name').textContent = info.dlqTopic;
    }
    show(location.hash.slice(1) || 'pipeline');
    pipelineLoop();
  });
})();
