/**
 * The catalog page's script, inlined into index.html: hash navigation (#/d/<dataset id>), search,
 * and the drawings (row-count bars, the lineage graph as SVG). Plain ES2019 with no library, no
 * template literals (it lives in one), and no network: it reads the JSON embedded in the page.
 */
export const CATALOG_APP_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('catalog-data').textContent);
  var ZONES = ['source', 'raw', 'processed', 'rejected', 'masked', 'curated', 'warehouse'];
  var byId = {};
  data.datasets.forEach(function (d) { byId[d.id] = d; });
  var SVG = 'http://www.w3.org/2000/svg';
  /** The first graph column of each zone (rejected rows sit beside processed). */
  var RANK = { source: 0, raw: 1, processed: 2, rejected: 2, masked: 3, curated: 4, warehouse: 5 };

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) { if (k === 'text') e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]); }
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs || {}) { if (k === 'text') e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]); }
    return e;
  }
  function fmt(n) { return n === undefined || n === null ? '' : typeof n === 'number' ? n.toLocaleString('en-US') : String(n); }
  function link(id, text) { return el('a', { href: '#/d/' + encodeURIComponent(id), 'data-id': id, text: text || id }); }
  function latestRows(d) { return d.history.length ? d.history[d.history.length - 1].rows : undefined; }
  function checkState(d) {
    if (!d.checks.length) return '';
    if (d.checks.some(function (c) { return c.status === 'failed' && c.severity === 'error'; })) return 'failed';
    if (d.checks.some(function (c) { return c.status === 'failed'; })) return 'warned';
    return 'passed';
  }
  function badge(state, text) { return el('span', { 'class': 'badge ' + state, text: text || state }); }
  function age(d) { return d.zone === 'source' ? 'outside the lake' : d.age_hours === undefined ? 'no partition yet' : d.age_hours < 48 ? d.age_hours + ' h ago' : Math.round(d.age_hours / 24) + ' days ago'; }

  // Sidebar: datasets grouped by zone; search filters it.
  var list = document.getElementById('dataset-list');
  ZONES.forEach(function (z) {
    var items = data.datasets.filter(function (d) { return d.zone === z; });
    if (!items.length) return;
    list.appendChild(el('li', { 'class': 'zone-head', text: z }));
    items.forEach(function (d) {
      var hay = [d.id, d.name, d.description || '', d.owner].concat(d.columns.map(function (c) { return c.name + ' ' + (c.description || ''); })).join(' ').toLowerCase();
      list.appendChild(el('li', { 'class': 'item', 'data-id': d.id, 'data-search': hay }, [link(d.id, d.zone === 'source' ? d.name : d.id)]));
    });
  });
  var search = document.getElementById('search');
  function applySearch() {
    var q = search.value.trim().toLowerCase();
    var shown = 0;
    Array.prototype.forEach.call(list.querySelectorAll('li.item'), function (li) {
      var ok = !q || q.split(/\s+/).every(function (w) { return li.getAttribute('data-search').indexOf(w) >= 0; });
      li.hidden = !ok;
      if (ok) shown++;
    });
    document.getElementById('search-count').textContent = q ? shown + ' match' + (shown === 1 ? '' : 'es') : '';
  }
  search.addEventListener('input', applySearch);
  search.addEventListener('keydown', function (e) {
    if (e.key !== 'Enter') return;
    var first = list.querySelector('li.item:not([hidden]) a');
    if (first) location.hash = first.getAttribute('href');
  });

  function overview() {
    var rows = data.datasets.map(function (d) {
      var s = checkState(d);
      return el('tr', { 'data-id': d.id }, [
        el('td', {}, [badge('zone-' + d.zone, d.zone)]), el('td', {}, [link(d.id)]), el('td', { 'class': 'num', text: fmt(latestRows(d)) }),
        el('td', { text: age(d) }), el('td', {}, [s ? badge(s) : '']), el('td', { text: d.owner })]);
    });
    var q = data.quality.length ? data.quality[data.quality.length - 1] : undefined;
    return el('section', { id: 'overview' }, [
      el('h2', { text: 'All datasets (' + data.datasets.length + ')' }),
      el('p', { 'class': 'meta', text: q ? 'Newest quality report: ' + q.ds + ' ' + q.status + ' (' + q.passed + ' passed, ' + q.failed + ' failed, ' + q.warned + ' warned)' : 'No quality report yet.' }),
      el('table', {}, [el('tr', {}, ['zone', 'dataset', 'rows (newest)', 'freshness', 'checks', 'owner'].map(function (h) { return el('th', { text: h }); }))].concat(rows)),
    ]);
  }

  function stat(p, k) { return p && p[k] !== undefined ? fmt(p[k]) : ''; }
  /** A value as stored (a date key stays 20261203, not 20,261,203). */
  function raw(p, k) { return p && p[k] !== undefined ? String(p[k]) : ''; }
  function joinLinks(ids) {
    if (!ids.length) return ['none'];
    var out = [];
    ids.forEach(function (u, i) { if (i) out.push(', '); out.push(link(u)); });
    return out;
  }

  function schemaTable(d) {
    var prof = {};
    ((d.profile && d.profile.columns) || []).forEach(function (c) { prof[c.name] = c; });
    var head = el('tr', {}, ['column', 'type', 'nullable', 'PII (mask)', 'description', 'null %', 'distinct', 'min', 'max'].map(function (h) { return el('th', { text: h }); }));
    return el('table', { id: 'schema' }, [head].concat(d.columns.map(function (c) {
      var p = prof[c.name];
      return el('tr', { 'data-column': c.name }, [el('td', {}, [el('code', { text: c.name })]), el('td', { text: c.kind }), el('td', { text: c.nullable ? 'yes' : 'no' }),
        el('td', {}, [c.pii ? badge('pii', c.pii) : '']), el('td', { text: c.description || '' }), el('td', { 'class': 'num', text: stat(p, 'null_pct') }),
        el('td', { 'class': 'num', text: stat(p, 'distinct') }), el('td', { text: raw(p, 'min') }), el('td', { text: raw(p, 'max') })]);
    })));
  }

  function historyChart(d) {
    var h = d.history;
    if (!h.length) return el('p', { text: 'No partitions yet.' });
    var W = 720, H = 180, L = 70, B = 30, T = 10;
    var max = Math.max.apply(null, h.map(function (p) { return p.rows; }).concat([1]));
    var s = svg('svg', { id: 'rows-chart', viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img', 'aria-label': 'rows per partition' });
    var slot = (W - L - 10) / h.length, bw = Math.min(slot * 0.7, 30);
    [0, 0.5, 1].forEach(function (f) {
      var y = T + (H - T - B) * (1 - f);
      s.appendChild(svg('line', { x1: L, x2: W - 10, y1: y, y2: y, stroke: '#e5e5e5' }));
      s.appendChild(svg('text', { x: L - 6, y: y + 4, 'text-anchor': 'end', 'class': 'tick', text: fmt(Math.round(max * f)) }));
    });
    h.forEach(function (p, i) {
      var bh = (H - T - B) * p.rows / max, x = L + slot * i + (slot - bw) / 2;
      var r = svg('rect', { 'class': 'bar', x: x.toFixed(1), y: (H - B - bh).toFixed(1), width: bw.toFixed(1), height: bh.toFixed(1), fill: '#1f77b4', 'data-ds': p.ds, 'data-rows': p.rows });
      r.appendChild(svg('title', { text: p.ds + ': ' + fmt(p.rows) + ' rows' + (p.committed_at ? ', committed ' + p.committed_at : '') }));
      s.appendChild(r);
      if (i % Math.max(1, Math.ceil(h.length / 8)) === 0 || i === h.length - 1) s.appendChild(svg('text', { x: (x + bw / 2).toFixed(1), y: H - B + 16, 'text-anchor': 'middle', 'class': 'tick', text: p.ds.slice(5) }));
    });
    return s;
  }

  function checksTable(d) {
    if (!d.checks.length) return el('p', { text: d.zone === 'curated' || d.zone === 'masked' ? 'No checks on it in the newest quality report.' : 'Quality checks run on the curated tables (and profiles on the masked entities).' });
    return el('table', { id: 'checks' }, [el('tr', {}, ['status', 'severity', 'check', 'rows checked', 'failing', 'result'].map(function (h) { return el('th', { text: h }); }))].concat(d.checks.map(function (c) {
      var st = c.status === 'passed' ? 'passed' : c.severity === 'warn' ? 'warned' : 'failed';
      return el('tr', { 'class': 'check ' + st }, [el('td', {}, [badge(st)]), el('td', { text: c.severity }), el('td', {}, [el('code', { text: c.name })]),
        el('td', { 'class': 'num', text: fmt(c.rows_checked) }), el('td', { 'class': 'num', text: fmt(c.failing_rows) }), el('td', { text: c.message })]);
    })));
  }

  function profileSection(d) {
    var p = d.profile;
    if (!p) return el('p', { text: 'No profile (profiles cover the curated tables and the masked entities).' });
    var head = el('tr', {}, ['column', 'nulls', 'empty %', 'distinct', 'mean', 'p01 / p25 / p50 / p75 / p99', 'length min/mean/max', 'top values'].map(function (h) { return el('th', { text: h }); }));
    return el('div', {}, [el('p', { 'class': 'meta', text: 'Profile of ' + p.ds + ': ' + fmt(p.rows) + ' rows. Distinct counts are HyperLogLog estimates (about 0.8% error), quantiles come from a KLL sketch (about 1.7% rank error).' }),
      el('table', { id: 'profile' }, [head].concat(p.columns.map(function (c) {
        var q = c.quantiles ? [c.quantiles.p01, c.quantiles.p25, c.quantiles.p50, c.quantiles.p75, c.quantiles.p99].map(String).join(' / ') : '';
        var top = (c.top_values || []).slice(0, 5).map(function (t) { return t.value + ' (' + fmt(t.count) + ')'; }).join(', ');
        return el('tr', {}, [el('td', {}, [el('code', { text: c.name })]), el('td', { 'class': 'num', text: fmt(c.nulls) + ' (' + c.null_pct + '%)' }), el('td', { 'class': 'num', text: stat(c, 'empty_pct') }),
          el('td', { 'class': 'num', text: fmt(c.distinct) }), el('td', { text: raw(c, 'mean') }), el('td', { text: q }),
          el('td', { text: c.length ? c.length.min + ' / ' + c.length.mean + ' / ' + c.length.max : '' }), el('td', { text: top })]);
      })))]);
  }

  /** Every dataset reachable from id along dir (upstream or downstream). */
  function reach(id, dir) {
    var seen = {}, todo = [id];
    while (todo.length) {
      var d = byId[todo.pop()];
      if (!d) continue;
      d[dir].forEach(function (n) { if (!seen[n] && n !== id) { seen[n] = true; todo.push(n); } });
    }
    return Object.keys(seen);
  }

  /** The lineage graph of one dataset: its ancestors and descendants, one column per zone, edges as curves. */
  function lineageGraph(d) {
    var ids = [d.id].concat(reach(d.id, 'upstream'), reach(d.id, 'downstream')).filter(function (i) { return byId[i]; });
    // Columns by zone, and past it by depth (longest path from the graph's first nodes), so a table
    // built from another of the same zone (the fact from the dimensions) stands to its right.
    var inGraph = {}, depth = {};
    ids.forEach(function (i) { inGraph[i] = true; });
    function depthOf(i, seen) {
      if (depth[i] !== undefined) return depth[i];
      if (seen[i]) return 0; // a cycle: draw it, do not loop
      seen[i] = true;
      var ups = byId[i].upstream.filter(function (u) { return inGraph[u]; });
      depth[i] = Math.max(RANK[byId[i].zone], ups.length ? 1 + Math.max.apply(null, ups.map(function (u) { return depthOf(u, seen); })) : 0);
      return depth[i];
    }
    ids.forEach(function (i) { depthOf(i, {}); });
    var maxDepth = Math.max.apply(null, ids.map(function (i) { return depth[i]; }));
    var cols = [];
    for (var k = 0; k <= maxDepth; k++) {
      cols.push(ids.filter(function (i) { return depth[i] === k; }).sort(function (a, b) { return ZONES.indexOf(byId[a].zone) - ZONES.indexOf(byId[b].zone) || (a < b ? -1 : 1); }));
    }
    cols = cols.filter(function (c) { return c.length; });
    var NW = 168, NH = 26, GX = 36, GY = 12, P = 10;
    var pos = {};
    var tallest = Math.max.apply(null, cols.map(function (c) { return c.length; }));
    var height = P * 2 + tallest * (NH + GY);
    cols.forEach(function (c, x) {
      var top = P + (height - P * 2 - c.length * (NH + GY)) / 2;
      c.forEach(function (i, y) { pos[i] = { x: P + x * (NW + GX), y: top + y * (NH + GY) }; });
    });
    var width = P * 2 + cols.length * (NW + GX) - GX;
    var s = svg('svg', { id: 'lineage', viewBox: '0 0 ' + width + ' ' + height, width: width, height: height, style: 'max-width:100%;height:auto', role: 'img', 'aria-label': 'lineage of ' + d.id });
    ids.forEach(function (i) {
      byId[i].downstream.forEach(function (t) {
        if (!pos[t]) return;
        var a = pos[i], b = pos[t], x1 = a.x + NW, y1 = a.y + NH / 2, x2 = b.x, y2 = b.y + NH / 2, mx = (x1 + x2) / 2;
        var on = i === d.id || t === d.id;
        s.appendChild(svg('path', { 'class': 'edge' + (on ? ' on' : ''), 'data-from': i, 'data-to': t, d: 'M' + x1 + ',' + y1 + ' C' + mx + ',' + y1 + ' ' + mx + ',' + y2 + ' ' + x2 + ',' + y2, fill: 'none' }));
      });
    });
    ids.forEach(function (i) {
      var n = byId[i], p = pos[i];
      var g = svg('g', { 'class': 'node zone-' + n.zone + (i === d.id ? ' current' : ''), 'data-id': i, transform: 'translate(' + p.x + ',' + p.y + ')', tabindex: 0 });
      g.appendChild(svg('rect', { width: NW, height: NH, rx: 5 }));
      var label = n.zone === 'source' ? n.name : n.zone + ': ' + n.name;
      g.appendChild(svg('text', { x: 8, y: 17, text: label.length > 24 ? label.slice(0, 23) + '…' : label }));
      g.appendChild(svg('title', { text: i }));
      g.addEventListener('click', function () { location.hash = '#/d/' + encodeURIComponent(i); });
      s.appendChild(g);
    });
    return s;
  }

  function detail(d) {
    var s = checkState(d);
    var facts = [['zone', d.zone], ['location', d.uri], ['written by', d.step], ['owner', d.owner], ['freshness', age(d) + (d.history.length ? ' (newest ds ' + d.history[d.history.length - 1].ds + ')' : '')],
      ['partitions', fmt(d.partitions)], ['rows (newest)', fmt(latestRows(d))], ['PII columns', d.columns.filter(function (c) { return c.pii; }).map(function (c) { return c.name + ' (' + c.pii + ')'; }).join(', ') || 'none']];
    return el('section', { id: 'dataset', 'data-id': d.id }, [
      el('h2', {}, [d.id + ' ', s ? badge(s, 'checks ' + s) : '']),
      el('p', { 'class': 'description', text: d.description || 'No description yet (catalog.datasets in the config).' }),
      el('table', { 'class': 'facts' }, facts.map(function (f) { return el('tr', {}, [el('th', { text: f[0] }), el('td', { text: f[1] })]); })),
      el('h3', { text: 'Lineage' }), el('div', { 'class': 'graph' }, [lineageGraph(d)]),
      el('p', { 'class': 'meta', id: 'neighbours' }, ['Upstream: '].concat(joinLinks(d.upstream), [' · Downstream: '], joinLinks(d.downstream))),
      el('h3', { text: 'Schema (' + d.columns.length + ' columns)' }), d.columns.length ? schemaTable(d) : el('p', { text: 'Schema unknown: no partition yet.' }),
      el('h3', { text: 'Rows per partition (last ' + d.history.length + ')' }), historyChart(d),
      el('h3', { text: 'Quality checks' + (d.quality_ds ? ' (' + d.quality_ds + ')' : '') }), checksTable(d),
      el('h3', { text: 'Profile' }), profileSection(d),
    ]);
  }

  function route() {
    var m = /^#\/d\/(.+)$/.exec(location.hash);
    var id = m ? decodeURIComponent(m[1]) : undefined;
    var main = document.getElementById('main');
    main.innerHTML = '';
    var d = id && byId[id];
    main.appendChild(d ? detail(d) : overview());
    Array.prototype.forEach.call(list.querySelectorAll('li.item'), function (li) { li.classList.toggle('selected', li.getAttribute('data-id') === id); });
    document.title = (d ? d.id + ' · ' : '') + data.pipeline + ' data catalog';
    window.scrollTo(0, 0);
  }
  window.addEventListener('hashchange', route);
  route();
})();
`;
