'use strict';
// A small SVG line chart: named series of (time, value) points over a sliding window, redrawn on each poll.
(() => {
  const SVG = 'http://www.w3.org/2000/svg';
  const COLORS = ['#2f6fde', '#1f9d55', '#c27c0e', '#d64545', '#7b4fd6', '#119aa8', '#b0487e', '#5e6b7d', '#8aa61c', '#e0703a'];
  const H = 160, LEFT = 56, RIGHT = 8, TOP = 8, BOTTOM = 18, MIN_SPAN_MS = 60000;

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }

  class LineChart {
    /** @param {HTMLElement} parent @param {string} id @param {string} title @param {(v:number)=>string} format */
    constructor(parent, id, title, format, windowMs = 300000) {
      this.format = format;
      this.windowMs = windowMs;
      this.series = new Map();
      this.message = '';
      this.root = document.createElement('div');
      this.root.className = 'chart';
      this.root.dataset.testid = 'chart-' + id;
      const h = document.createElement('h3');
      h.textContent = title;
      this.svg = svg('svg', { role: 'img', 'aria-label': title });
      this.legend = document.createElement('div');
      this.legend.className = 'legend';
      this.root.append(h, this.svg, this.legend);
      parent.append(this.root);
    }

    /** Adds a point to a series (created on first use). NaN and missing values are skipped, and so is a point not after the series' last one: a line never runs back in time. */
    push(name, t, value) {
      if (value === undefined || value === null || Number.isNaN(value)) return;
      let s = this.series.get(name);
      if (!s) {
        s = { color: COLORS[this.series.size % COLORS.length], points: [] };
        this.series.set(name, s);
      }
      if (s.points.length && t <= s.points[s.points.length - 1][0]) return;
      s.points.push([t, value]);
    }

    /** Text shown instead of lines (e.g. "no metrics"); empty to show the lines. */
    setMessage(text) { this.message = text || ''; }

    /** The newest value of a series, or undefined. */
    latest(name) {
      const s = this.series.get(name);
      return s && s.points.length ? s.points[s.points.length - 1][1] : undefined;
    }

    render(now) {
      const oldest = now - this.windowMs;
      let from = now - MIN_SPAN_MS;
      for (const s of this.series.values()) {
        while (s.points.length && s.points[0][0] < oldest) s.points.shift();
        if (s.points.length) from = Math.min(from, s.points[0][0]);
      }
      const span = now - from;
      // Drawn in the element's own pixels, so text is not stretched.
      const W = Math.max(300, Math.round(this.svg.clientWidth || 600));
      this.svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
      let max = 0;
      for (const s of this.series.values()) for (const [, v] of s.points) max = Math.max(max, v);
      max = max > 0 ? max * 1.1 : 1;
      const x = t => LEFT + (t - from) / span * (W - LEFT - RIGHT);
      const y = v => TOP + (1 - v / max) * (H - TOP - BOTTOM);
      this.svg.replaceChildren();
      for (const f of this.message ? [] : [0, 0.5, 1]) {
        const gy = y(max * f);
        this.svg.append(svg('line', { class: 'grid', x1: LEFT, x2: W - RIGHT, y1: gy, y2: gy }));
        const label = svg('text', { class: 'axis', x: LEFT - 4, y: gy + 3, 'text-anchor': 'end' });
        label.textContent = this.format(max * f);
        this.svg.append(label);
      }
      const ago = span >= 120000 ? '-' + Math.round(span / 60000) + ' min' : '-' + Math.round(span / 1000) + ' s';
      for (const [text, t, anchor] of [[ago, from, 'start'], ['now', now, 'end']]) {
        const label = svg('text', { class: 'axis', x: x(t), y: H - 4, 'text-anchor': anchor });
        label.textContent = text;
        this.svg.append(label);
      }
      const hasPoints = [...this.series.values()].some(s => s.points.length > 0);
      // What the chart holds, for tests and the curious: the time range of its points and the widest gap between two.
      let oldestT = Infinity, newestT = -Infinity, maxGap = 0;
      for (const s of this.series.values()) {
        s.points.forEach(([t], i) => {
          oldestT = Math.min(oldestT, t);
          newestT = Math.max(newestT, t);
          if (i > 0) maxGap = Math.max(maxGap, t - s.points[i - 1][0]);
        });
      }
      this.root.dataset.oldestMs = hasPoints ? String(oldestT) : '';
      this.root.dataset.newestMs = hasPoints ? String(newestT) : '';
      this.root.dataset.maxGapMs = String(maxGap);
      if (this.message || !hasPoints) {
        const label = svg('text', { class: 'empty', x: W / 2, y: H / 2, 'text-anchor': 'middle' });
        label.textContent = this.message || 'waiting for data…';
        this.svg.append(label);
      }
      if (!this.message) {
        for (const s of this.series.values()) {
          if (s.points.length === 0) continue;
          const d = s.points.map(([t, v], i) => (i ? 'L' : 'M') + x(t).toFixed(1) + ' ' + y(v).toFixed(1)).join(' ');
          this.svg.append(svg('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 1.5, 'vector-effect': 'non-scaling-stroke' }));
        }
      }
      this.legend.replaceChildren();
      if (this.message) return;
      for (const [name, s] of this.series) {
        if (s.points.length === 0) continue;
        const item = document.createElement('span');
        const swatch = document.createElement('i');
        swatch.style.background = s.color;
        item.append(swatch, `${name} ${this.format(s.points[s.points.length - 1][1])}`);
        item.dataset.series = name;
        item.dataset.value = String(s.points[s.points.length - 1][1]);
        this.legend.append(item);
      }
    }
  }

  window.LineChart = LineChart;
})();
