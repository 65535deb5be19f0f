'use strict';
// The Kafka pages: topics (partitions, offsets, message browser), consumer groups (members, offsets, lag) and the DLQ.
(() => {
  const { json, el, fmt, $ } = window.Console;

  function showError(parent, result) {
    parent.replaceChildren(el('div', { class: result.code === 'kafka_not_configured' ? 'notice' : 'error', testid: 'kafka-error' }, result.error));
  }

  const num = v => el('td', { class: 'num' }, v === undefined || v === null || v < 0 ? '–' : String(v));

  async function topicsPage() {
    const list = $('topics');
    const result = await json('/api/overview');
    if (!result.ok) return showError(list, result);
    list.replaceChildren(el('h2', null, 'Topics'), el('table', { testid: 'topics-table' },
      el('thead', null, el('tr', null, el('th', null, 'topic'), el('th', null, 'partitions'), el('th', null, 'records (sum of end offsets)'))),
      el('tbody', null, result.body.topics.map(t => el('tr', { class: 'clickable', 'data-topic': t.name, onclick: () => openTopic(t.name) },
        el('td', null, t.name), num(t.partitions.length), num(t.end))))));
  }

  async function openTopic(name) {
    const detail = $('topic-detail');
    const result = await json('/api/overview');
    if (!result.ok) return showError(detail, result);
    const topic = result.body.topics.find(t => t.name === name);
    if (!topic) return detail.replaceChildren(el('div', { class: 'error' }, `no topic ${name}`));
    detail.replaceChildren(el('h2', null, name), el('table', { testid: 'partitions-table' },
      el('thead', null, el('tr', null, el('th', null, 'partition'), el('th', null, 'last stable offset'))),
      el('tbody', null, topic.partitions.map(p => el('tr', null, num(p.partition), num(p.end))))));
  }

  async function groupsPage() {
    const list = $('groups');
    const result = await json('/api/overview');
    if (!result.ok) return showError(list, result);
    list.replaceChildren(el('h2', null, 'Consumer groups'), el('table', { testid: 'groups-table' },
      el('thead', null, el('tr', null, el('th', null, 'group'), el('th', null, 'state'), el('th', null, 'partitions'), el('th', null, 'lag'))),
      el('tbody', null, result.body.groups.map(g => el('tr', { class: 'clickable', 'data-group': g.group, onclick: () => openGroup(g.group) },
        el('td', null, g.group), el('td', null, g.state), num(g.partitions.length), num(g.lag))))));
  }

  async function openGroup(name) {
    const detail = $('group-detail');
    const result = await json('/api/overview');
    if (!result.ok) return showError(detail, result);
    const group = result.body.groups.find(g => g.group === name);
    if (!group) return detail.replaceChildren(el('div', { class: 'error' }, `no group ${name}`));
    detail.replaceChildren(el('h2', null, `${name} · lag ${fmt.count(group.lag)}`), el('table', { testid: 'group-partitions' },
      el('thead', null, el('tr', null, ['topic', 'partition', 'committed offset', 'last stable offset', 'lag'].map(h => el('th', null, h)))),
      el('tbody', null, group.partitions.map(p => el('tr', null, el('td', null, p.topic), num(p.partition), num(p.committed), num(p.end), num(p.lag))))));
  }

  async function dlqPage() {
    $('dlq').replaceChildren(el('div', { class: 'notice' }, 'The DLQ browser needs the console\'s message API.'));
  }

  window.ConsoleKafkaPages = { topics: topicsPage, groups: groupsPage, dlq: dlqPage };
})();
