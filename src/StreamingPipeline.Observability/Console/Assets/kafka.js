'use strict';
// The Kafka pages: topics (partitions, offsets, message browser), consumer groups (members, offsets, lag) and the DLQ.
(() => {
  const { json, el, fmt, $ } = window.Console;

  function showError(parent, result) {
    parent.replaceChildren(el('div', { class: result.code === 'kafka_not_configured' ? 'notice' : 'error', testid: 'kafka-error' }, result.error));
  }

  const num = v => el('td', { class: 'num' }, v === undefined || v === null || v < 0 ? '–' : String(v));
  const time = ms => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  const table = (testid, headers, rows) => el('table', { testid },
    el('thead', null, el('tr', null, headers.map(h => el('th', null, h)))), el('tbody', null, rows));
  const enc = s => encodeURIComponent(s);

  /** Bytes as the API sends them: text (JSON pretty-printed) or base64, with a note when cut. */
  function bytes(b) {
    if (!b) return el('span', { class: 'muted' }, 'null');
    let text = b.text;
    if (b.encoding === 'utf8' && !b.truncated && /^\s*[[{]/.test(text)) {
      try { text = JSON.stringify(JSON.parse(text), null, 2); } catch { /* not JSON: as it is */ }
    }
    const note = b.encoding === 'base64' ? ` (base64 of ${b.length} bytes${b.truncated ? ', cut' : ''})` : b.truncated ? ` (first bytes of ${b.length})` : '';
    return el('pre', null, text, note ? el('span', { class: 'muted' }, note) : null);
  }

  // ---- Topics
  async function topicsPage() {
    const list = $('topics');
    const [topics, overview] = await Promise.all([json('/api/topics'), json('/api/overview')]);
    if (!topics.ok) return showError(list, topics);
    const records = new Map(overview.ok ? overview.body.topics.map(t => [t.name, t.end]) : []);
    list.replaceChildren(el('h2', null, 'Topics'), table('topics-table', ['topic', 'partitions', 'last stable offsets (sum)'],
      topics.body.map(t => el('tr', { class: 'clickable', 'data-topic': t.name, onclick: () => openTopic(t.name) },
        el('td', null, t.name), num(t.partitions), num(records.get(t.name))))));
  }

  async function openTopic(name) {
    const detail = $('topic-detail');
    const result = await json('/api/topics/' + enc(name));
    if (!result.ok) return showError(detail, result);
    const partitions = result.body.partitions;
    const form = {
      partition: el('select', { testid: 'browse-partition' }, el('option', { value: 'all' }, 'all partitions'), partitions.map(p => el('option', { value: p.partition }, 'partition ' + p.partition))),
      start: el('select', { testid: 'browse-start' }, ['newest', 'beginning', 'offset', 'time'].map(s => el('option', { value: s }, s))),
      offset: el('input', { type: 'number', min: 0, placeholder: 'offset', size: 8, testid: 'browse-offset' }),
      time: el('input', { type: 'datetime-local', step: 1, testid: 'browse-time' }),
      limit: el('input', { type: 'number', min: 1, max: 500, value: 50, size: 4, testid: 'browse-limit' }),
      isolation: el('select', { testid: 'browse-isolation' }, el('option', { value: 'read_committed' }, 'read_committed'), el('option', { value: 'read_uncommitted' }, 'read_uncommitted')),
      filter: el('input', { type: 'search', placeholder: 'text in key, value or headers', testid: 'browse-filter' }),
    };
    const load = el('button', { type: 'button', class: 'primary', testid: 'browse-load', onclick: () => browse(name, form) }, 'Load');
    form.filter.addEventListener('keydown', e => { if (e.key === 'Enter') browse(name, form); });
    detail.replaceChildren(
      el('h2', null, name),
      table('partitions-table', ['partition', 'start offset', 'end offset', 'last stable offset', 'records'],
        partitions.map(p => el('tr', null, num(p.partition), num(p.startOffset), num(p.endOffset), num(p.lastStableOffset), num(p.span)))),
      el('h2', null, 'Messages'),
      el('div', { class: 'browser-bar' }, form.partition, form.start, form.offset, form.time, 'limit', form.limit, form.isolation, form.filter, load,
        el('span', { class: 'muted', id: 'browse-info', testid: 'browse-info' })),
      el('div', { id: 'messages', class: 'table-wrap', testid: 'messages' }));
    browse(name, form);
  }

  async function browse(topic, form) {
    const params = new URLSearchParams({ partition: form.partition.value, start: form.start.value, limit: form.limit.value || '50', isolation: form.isolation.value });
    if (form.start.value === 'offset') params.set('offset', form.offset.value || '0');
    if (form.start.value === 'time') params.set('time', form.time.value ? new Date(form.time.value).toISOString() : new Date(Date.now() - 60000).toISOString());
    if (form.filter.value) params.set('filter', form.filter.value);
    const target = $('messages');
    $('browse-info').textContent = 'reading…';
    const started = performance.now();
    const result = await json(`/api/topics/${enc(topic)}/messages?${params}`);
    if (!result.ok) {
      $('browse-info').textContent = '';
      return showError(target, result);
    }
    $('browse-info').textContent = `${result.body.length} messages in ${Math.round(performance.now() - started)} ms`;
    target.replaceChildren(table('messages-table', ['partition', 'offset', 'timestamp', 'key', 'value', 'headers'],
      result.body.map(m => el('tr', { 'data-offset': m.offset },
        num(m.partition), num(m.offset), el('td', { title: m.timestampType }, time(m.timestamp)), el('td', null, bytes(m.key)), el('td', null, bytes(m.value)),
        el('td', null, m.headers.map(h => el('div', null, el('b', null, h.key + ': '), h.value ? h.value.text : 'null')))))));
  }

  // ---- Consumer groups
  async function groupsPage() {
    const list = $('groups');
    const [groups, overview] = await Promise.all([json('/api/groups'), json('/api/overview')]);
    if (!groups.ok) return showError(list, groups);
    const lags = new Map(overview.ok ? overview.body.groups.map(g => [g.group, g.lag]) : []);
    list.replaceChildren(el('h2', null, 'Consumer groups'), table('groups-table', ['group', 'state', 'lag'],
      groups.body.map(g => el('tr', { class: 'clickable', 'data-group': g.groupId, onclick: () => openGroup(g.groupId) },
        el('td', null, g.groupId), el('td', null, g.state), num(lags.get(g.groupId))))));
  }

  async function openGroup(name) {
    const detail = $('group-detail');
    const result = await json('/api/groups/' + enc(name));
    if (!result.ok) return showError(detail, result);
    const g = result.body;
    detail.replaceChildren(
      el('h2', null, `${g.groupId} · ${g.state}${g.partitionAssignor ? ' · ' + g.partitionAssignor : ''} · lag ${fmt.count(g.totalLag)}`),
      el('h2', null, 'Members'),
      table('group-members', ['member', 'client id', 'host', 'assigned partitions'], g.members.map(m => el('tr', null,
        el('td', null, m.memberId), el('td', null, m.clientId), el('td', null, m.host),
        el('td', null, m.assignment.map(a => `${a.topic}/${a.partition}`).join(', '))))),
      el('h2', null, 'Offsets and lag'),
      table('group-partitions', ['topic', 'partition', 'committed offset', 'end offset', 'last stable offset', 'lag', 'member'],
        g.partitions.map(p => el('tr', null, el('td', null, p.topic), num(p.partition), num(p.committedOffset), num(p.endOffset), num(p.lastStableOffset),
          num(p.lag), el('td', null, p.clientId || '')))));
  }

  // ---- DLQ
  async function dlqPage() {
    const target = $('dlq');
    const refresh = el('button', { type: 'button', testid: 'dlq-refresh', onclick: dlqPage }, 'Refresh');
    const result = await json('/api/dlq?limit=50');
    if (!result.ok) {
      showError(target, result);
      return target.prepend(refresh);
    }
    target.replaceChildren(el('div', { class: 'browser-bar' }, el('h2', null, `Latest rejected records (${window.Console.info().dlqTopic})`), refresh),
      table('dlq-table', ['dead-lettered', 'reason', 'detail', 'source', 'original bytes'],
        result.body.map(r => el('tr', { 'data-offset': r.offset },
          el('td', null, time(r.deadLetteredAt ?? r.timestamp)), el('td', null, r.reason ?? '–'), el('td', null, r.detail ?? ''),
          el('td', null, r.sourceTopic ? `${r.sourceTopic}/${r.sourcePartition} @ ${r.sourceOffset}` : '–'), el('td', null, bytes(r.value))))));
  }

  window.ConsoleKafkaPages = { topics: topicsPage, groups: groupsPage, dlq: dlqPage };
})();
