/*
 * Hotcode observer: the page's script. It polls the plugin's JSON API (api/...) and redraws the view in place, so
 * the page updates live with no reload. Every value from the runtime goes into the page as text (textContent), never
 * as markup: a registered name or a message term cannot inject HTML or script.
 */
(function () {
  'use strict';
  var box = document.getElementById('hotcode-observer');
  if (!box) { return; }
  var ROOT = box.getAttribute('data-root');
  var VIEW = box.getAttribute('data-view');
  var ARG = box.getAttribute('data-arg');
  var TOKEN = box.getAttribute('data-token');
  // the node whose processes the processes and one-process views show: '' for this node's (?node=<name> in the URL)
  var NODE = box.getAttribute('data-node') || '';
  var main = document.getElementById('hc-main');
  var live = document.getElementById('hc-live');
  var msg = document.getElementById('hc-message');

  // ------------------------------------------------------------------ helpers

  /** An element: h('td', {class: 'x'}, 'text', child...). Strings become text nodes. */
  function h(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === 'onclick') { e.onclick = attrs[k]; } else if (attrs[k] !== null && attrs[k] !== undefined) { e.setAttribute(k, attrs[k]); }
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) { continue; }
      e.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    }
    return e;
  }
  function clear(e) { while (e.firstChild) { e.removeChild(e.firstChild); } return e; }
  function qs(params) {
    return Object.keys(params || {}).filter(function (k) { return params[k] !== '' && params[k] !== null && params[k] !== undefined; })
      .map(function (k) { return encodeURIComponent(k) + '=' + encodeURIComponent(params[k]); }).join('&');
  }
  // location.origin, not a relative URL: a page opened as http://user:pw@host/... would make fetch refuse a URL with credentials
  function url(path, params) { var q = qs(params); return location.origin + ROOT + '/api' + path + (q ? '?' + q : ''); }
  function page(path) { return location.origin + ROOT + path; }
  function get(path, params) {
    return fetch(url(path, params), {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(function (r) { return r.json().then(function (b) { return {status: r.status, body: b}; }); });
  }
  function post(path, params) {
    return fetch(url(path), {method: 'POST', credentials: 'same-origin',
      headers: {'X-Hotcode-Token': TOKEN, 'Content-Type': 'application/x-www-form-urlencoded'}, body: qs(params)})
      .then(function (r) { return r.json().then(function (b) { return {status: r.status, body: b}; }); });
  }
  function say(text, bad) { msg.textContent = text || ''; msg.className = 'hc-message' + (bad ? ' hc-bad' : ''); }
  function fmt(n, digits) {
    if (n === null || n === undefined) { return '–'; }
    return Number(n).toLocaleString('en-US', {maximumFractionDigits: digits === undefined ? 1 : digits});
  }
  function mb(bytes) { return fmt(bytes / (1024 * 1024), 0) + ' MB'; }
  function time(ms) { return new Date(ms).toLocaleTimeString('en-GB'); }
  function nodeQs() { return NODE ? '?' + qs({node: NODE}) : ''; }
  function pidLink(pid) { return h('a', {href: page('/process/' + encodeURIComponent(pid)) + nodeQs(), 'class': 'hc-pid'}, pid); }
  function table(id, heads) {
    var t = h('table', {id: id, 'class': 'hc-table'});
    var tr = h('tr');
    heads.forEach(function (x) { tr.appendChild(h('th', null, x)); });
    t.appendChild(h('thead', null, tr));
    t.appendChild(h('tbody'));
    return t;
  }

  /** Polls fn every ms while the page is open; fn returns a promise. Never two requests of one view at once. */
  function poll(fn, ms) {
    function run() {
      fn().then(function () {
        live.textContent = 'live · ' + time(Date.now());
        live.className = 'hc-live';
      }, function (e) {
        live.textContent = 'not updating: ' + e;
        live.className = 'hc-live hc-down';
      }).then(function () { setTimeout(run, ms); });
    }
    run();
  }

  // ------------------------------------------------------------------ overview

  var samples = [];
  var events = [];
  function overview() {
    var tiles = h('div', {'class': 'hc-tiles'});
    var stats = [['processes', 'Processes alive'], ['spawned', 'Spawned / s'], ['exited', 'Exited / s'],
      ['effects', 'Messages + effects / s'], ['deadletters', 'Dead letters / s'], ['memory', 'Memory (heap used)'],
      ['modules', 'Modules loaded'], ['oldcode', 'Modules with old code']];
    stats.forEach(function (s) { tiles.appendChild(h('div', {'class': 'hc-tile'}, s[1], h('b', {id: 'hc-stat-' + s[0]}, '–'))); });
    var reasons = h('div', {id: 'hc-reasons'});
    var charts = h('div', {'class': 'hc-charts', id: 'hc-charts'});
    var mods = table('hc-overview-modules', ['Module', 'Current', 'Processes', 'Old', 'Processes on old']);
    main.appendChild(tiles);
    main.appendChild(reasons);
    main.appendChild(charts);
    main.appendChild(h('h3', null, 'Modules'));
    main.appendChild(mods);
    var since = 0, after = 0;
    poll(function () {
      return get('/overview', {since: since, after: after}).then(function (r) {
        if (r.status !== 200) { say(r.body.error, true); return; }
        var b = r.body, l = b.latest;
        b.samples.forEach(function (s) { samples.push(s); since = Math.max(since, s.at); });
        b.events.forEach(function (e) { events.push(e); after = Math.max(after, e.seq); });
        var modulesNow = JSON.stringify(b.modules);
        samples = samples.filter(function (s) { return s.at >= b.now - 5 * 60000; });
        // the charts span the samples there are (at least a minute, at most five), so a fresh page is not all blank
        var horizon = Math.min(b.now - 60000, samples.length ? samples[0].at : b.now);
        document.getElementById('hc-stat-processes').textContent = fmt(l.processes, 0);
        document.getElementById('hc-stat-spawned').textContent = fmt(l.spawnedPerSec);
        document.getElementById('hc-stat-exited').textContent = fmt(l.exitedPerSec);
        document.getElementById('hc-stat-effects').textContent = fmt(l.effectsPerSec);
        document.getElementById('hc-stat-deadletters').textContent = fmt(l.deadLettersPerSec);
        document.getElementById('hc-stat-memory').textContent = mb(l.memoryUsed) + ' of ' + mb(l.memoryMax);
        document.getElementById('hc-stat-modules').textContent = fmt(b.modulesLoaded, 0);
        document.getElementById('hc-stat-oldcode').textContent = fmt(b.modulesWithOldCode, 0);
        clear(reasons);
        var byReason = l.deadLettersPerSecByReason || {};
        var keys = Object.keys(byReason);
        if (keys.length) {
          reasons.appendChild(h('span', null, 'Dead letters / s by reason: ' + keys.map(function (k) { return k + ' ' + fmt(byReason[k]); }).join(', ')));
        }
        clear(charts);
        charts.appendChild(chart('Processes alive', 'processes', horizon, b.now));
        charts.appendChild(chart('Messages + effects / s', 'effectsPerSec', horizon, b.now));
        charts.appendChild(chart('Spawned / s', 'spawnedPerSec', horizon, b.now));
        charts.appendChild(chart('Dead letters / s', 'deadLettersPerSec', horizon, b.now));
        charts.appendChild(chart('Heap used (MB)', 'memoryUsed', horizon, b.now, 1 / (1024 * 1024)));
        if (modulesNow === mods.getAttribute('data-shown')) { return; }
        mods.setAttribute('data-shown', modulesNow);
        var tb = clear(mods.tBodies[0]);
        b.modules.forEach(function (m) {
          tb.appendChild(h('tr', {'data-module': m.name},
            h('td', null, h('a', {href: page('/modules/' + encodeURIComponent(m.name))}, m.name)),
            h('td', {'class': 'hc-current'}, m.current ? m.current.version : '–'),
            h('td', {'class': 'hc-num hc-current-processes'}, m.current ? m.current.processes : ''),
            h('td', {'class': 'hc-old'}, m.old ? m.old.version : '–'),
            h('td', {'class': 'hc-num hc-old-processes'}, m.old ? m.old.processes : '')));
        });
      });
    }, 1000);
  }

  /** A line chart of one sample field over the last minutes, with code events marked on the time axis. */
  function chart(title, field, from, to, scale) {
    var W = 420, H = 130, P = 24;
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('width', W); svg.setAttribute('height', H); svg.setAttribute('class', 'hc-chart');
    svg.setAttribute('data-field', field);
    function s(tag, attrs, text) {
      var e = document.createElementNS(ns, tag);
      Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
      if (text !== undefined) { e.textContent = text; }
      svg.appendChild(e);
      return e;
    }
    var pts = samples.filter(function (x) { return x[field] !== null && x[field] !== undefined; });
    var max = 1;
    pts.forEach(function (x) { max = Math.max(max, x[field] * (scale || 1)); });
    function X(t) { return P + (W - 2 * P) * (t - from) / Math.max(1, to - from); }
    function Y(v) { return H - P - (H - 2 * P) * v / max; }
    s('text', {x: P, y: 12}, title + ' (max ' + fmt(max) + ')');
    s('line', {x1: P, y1: H - P, x2: W - P, y2: H - P, stroke: '#999'});
    s('text', {x: P, y: H - 8}, time(from));
    s('text', {x: W - P - 40, y: H - 8}, time(to));
    events.forEach(function (e) {
      if (e.at < from) { return; }
      var colour = {loaded: '#1a7d1a', purged: '#7d1a1a', rolled_back: '#b35c00', release: '#1a4d8f'}[e.kind] || '#555';
      var line = s('line', {x1: X(e.at), y1: P, x2: X(e.at), y2: H - P, stroke: colour, 'stroke-dasharray': '3,2', 'class': 'hc-mark hc-mark-' + e.kind});
      var tip = document.createElementNS(ns, 'title');
      tip.textContent = e.kind + ' ' + (e.module || '') + ' ' + (e.to || e.from || '') + ' at ' + time(e.at);
      line.appendChild(tip);
      s('text', {x: X(e.at) + 2, y: P + 8, fill: colour}, e.kind.charAt(0).toUpperCase());
    });
    if (pts.length > 1) {
      s('polyline', {fill: 'none', stroke: '#1a4d8f', 'stroke-width': 1.5,
        points: pts.map(function (x) { return X(x.at).toFixed(1) + ',' + Y(x[field] * (scale || 1)).toFixed(1); }).join(' ')});
    }
    return svg;
  }

  // ------------------------------------------------------------------ modules

  function modules(one) {
    var t = table('hc-modules', ['Module', 'Status', 'Current', 'Processes', 'Old', 'Processes on old', '']);
    main.appendChild(t);
    var shown = null;
    poll(function () {
      return get(one ? '/modules/' + encodeURIComponent(ARG) : '/modules').then(function (r) {
        if (r.status !== 200) { say(r.body.error, true); clear(t.tBodies[0]); return; }
        var now = JSON.stringify(r.body);
        if (now === shown) { return; } // unchanged: the buttons stay where the user may be about to click
        shown = now;
        var tb = clear(t.tBodies[0]);
        r.body.modules.forEach(function (m) {
          var actions = h('td');
          if (m.old) {
            actions.appendChild(h('button', {'class': 'hc-softpurge', onclick: function () { act('/softpurge', {module: m.name}); }}, 'Soft purge'));
            actions.appendChild(h('button', {'class': 'hc-purge', onclick: function () {
              var n = m.old.processes, pids = (m.oldPids || []).join(' ');
              var text = 'Purge ' + m.name + ' ' + m.old.version + '? ' + (n === 0 ? 'No process runs it; nobody is killed.'
                : 'This kills the ' + n + ' process(es) running it' + (pids ? ': ' + pids + (n > (m.oldPids || []).length ? ' ...' : '') : '') + '.');
              if (window.confirm(text)) { act('/purge', {module: m.name}); } else { say('purge of ' + m.name + ' cancelled'); }
            }}, 'Purge'));
          }
          tb.appendChild(h('tr', {'data-module': m.name},
            h('td', null, h('a', {href: page('/modules/' + encodeURIComponent(m.name))}, m.name)),
            h('td', null, m.status),
            h('td', {'class': 'hc-current'}, m.current ? m.current.version + ' (vsn ' + m.current.vsn + ', bundle ' + m.current.bundleId + ')' : '–'),
            h('td', {'class': 'hc-num'}, m.current ? m.current.processes : ''),
            h('td', {'class': 'hc-old'}, m.old ? m.old.version + ' (vsn ' + m.old.vsn + ', bundle ' + m.old.bundleId + ')' : '–'),
            h('td', {'class': 'hc-num'}, m.old ? m.old.processes : ''),
            actions));
        });
      });
    }, 1000);
  }

  function act(path, params) {
    say('working...');
    return post(path, params).then(function (r) {
      say(r.body.message || r.body.error, r.status !== 200 || r.body.ok === false);
    }, function (e) { say('failed: ' + e, true); });
  }

  // ------------------------------------------------------------------ processes

  var COLS = [['pid', 'Pid'], ['name', 'Name'], ['module', 'Module'], ['version', 'Version'], ['old', 'Old code'],
    ['mailbox', 'Mailbox'], ['status', 'State'], ['function', 'Current function']];
  function processes() {
    var q = {sort: 'pid', dir: 'asc', page: 0, size: 50};
    var filters = {};
    var generation = 0;
    var t = h('table', {id: 'hc-processes', 'class': 'hc-table'});
    var head = h('tr'), filt = h('tr');
    COLS.forEach(function (c) {
      head.appendChild(h('th', {'data-col': c[0], id: 'hc-sort-' + c[0], onclick: function () {
        if (q.sort === c[0]) { q.dir = q.dir === 'asc' ? 'desc' : 'asc'; } else {
          q.sort = c[0]; q.dir = (c[0] === 'mailbox' || c[0] === 'old') ? 'desc' : 'asc'; // largest first for counts
        }
        q.page = 0; refresh();
      }}, c[1]));
      var input = h('input', {type: 'text', 'data-filter': c[0], id: 'hc-filter-' + c[0],
        placeholder: c[0] === 'mailbox' ? 'at least' : (c[0] === 'old' ? 'yes / no' : 'contains')});
      var timer = null;
      input.oninput = function () {
        clearTimeout(timer);
        timer = setTimeout(function () { filters[c[0]] = input.value; q.page = 0; refresh(); }, 250);
      };
      filt.appendChild(h('th', null, input));
    });
    t.appendChild(h('thead', null, head, filt));
    t.appendChild(h('tbody'));
    var info = h('span', {id: 'hc-pageinfo'});
    var pager = h('div', {'class': 'hc-pager'},
      h('button', {id: 'hc-prev', onclick: function () { if (q.page > 0) { q.page--; refresh(); } }}, '‹ Previous'),
      h('button', {id: 'hc-next', onclick: function () { q.page++; refresh(); }}, 'Next ›'), info);
    nodeSelector('/processes');
    main.appendChild(pager);
    main.appendChild(t);
    function load() {
      var mine = ++generation;
      var params = {sort: q.sort, dir: q.dir, page: q.page, size: q.size, node: NODE};
      Object.keys(filters).forEach(function (k) { params['f_' + k] = filters[k]; });
      return get('/processes', params).then(function (r) {
        if (mine !== generation) { return; } // a newer query was sent meanwhile: its answer wins
        // another node that is gone or slow: say so and keep the page (and the last rows) as they are
        if (r.status !== 200) { say(r.body.error, true); return; }
        if (msg.className.indexOf('hc-bad') >= 0 && NODE) { say(''); }
        var b = r.body;
        q.page = b.page;
        var tb = clear(t.tBodies[0]);
        b.rows.forEach(function (p) {
          tb.appendChild(h('tr', {'data-pid': p.pid},
            h('td', null, pidLink(p.pid)), h('td', null, p.name || ''), h('td', null, p.module || ''),
            h('td', null, p.version || ''), h('td', {'class': p.old ? 'hc-oldflag' : ''}, p.old ? 'old' : ''),
            h('td', {'class': 'hc-num hc-mailbox'}, p.mailbox), h('td', null, p.status), h('td', null, p.function || '')));
        });
        var from = b.matched === 0 ? 0 : b.page * b.size + 1;
        info.textContent = ' ' + fmt(from, 0) + '–' + fmt(Math.min(b.matched, (b.page + 1) * b.size), 0) + ' of ' +
          fmt(b.matched, 0) + ' matching (' + fmt(b.total, 0) + ' processes' + (b.remote ? ' of node ' + b.node : '') +
          '; ' + b.millis + ' ms on the server)' +
          (b.matched === 0 ? ': no process matches the filter' : '');
        t.setAttribute('data-sort', b.sort);
        t.setAttribute('data-dir', b.descending ? 'desc' : 'asc');
        t.setAttribute('data-generation', String(mine));
        COLS.forEach(function (c) {
          document.getElementById('hc-sort-' + c[0]).textContent = c[1] + (b.sort === c[0] ? (b.descending ? ' ▼' : ' ▲') : '');
        });
      });
    }
    function refresh() { load().catch(function (e) { say('failed: ' + e, true); }); }
    poll(load, 2000);
  }

  // ------------------------------------------------------------------ one process

  function processView() {
    var dl = h('dl', {'class': 'hc-dl', id: 'hc-process'});
    var buttons = h('div', {id: 'hc-process-actions'});
    main.appendChild(buttons);
    main.appendChild(dl);
    var shownButtons = false;
    nodeSelector(null);
    poll(function () {
      return get('/process/' + encodeURIComponent(ARG), {node: NODE}).then(function (r) {
        if (r.status !== 200) {
          var gone = document.getElementById('hc-notfound') || main.insertBefore(h('div', {id: 'hc-notfound', 'class': 'hc-notfound'}), main.firstChild);
          gone.textContent = r.body.error;
          clear(buttons); clear(dl);
          return;
        }
        var p = r.body;
        var stale = document.getElementById('hc-notfound'); // a node that was slow or gone answers again
        if (stale) { stale.parentNode.removeChild(stale); }
        if (!shownButtons) {
          shownButtons = true;
          buttons.appendChild(h('button', {id: 'hc-kill', onclick: function () {
            if (window.confirm('Kill ' + p.pid + (p.name ? ' (' + p.name + ')' : '') + '? Its links get the exit signal killed.')) {
              act('/kill', {pid: p.pid, node: NODE});
            }
          }}, 'Kill'));
          if (p.server && !p.remote) { // suspend and resume act on this node's servers only
            buttons.appendChild(h('button', {id: 'hc-suspend', onclick: function () { act('/suspend', {pid: p.pid}); }}, 'Suspend'));
            buttons.appendChild(h('button', {id: 'hc-resume', onclick: function () { act('/resume', {pid: p.pid}); }}, 'Resume'));
          }
        }
        clear(dl);
        function row(k, v, id) { dl.appendChild(h('dt', null, k)); dl.appendChild(h('dd', {id: id}, v)); }
        function pids(list) { var s = h('span'); (list || []).forEach(function (x) { s.appendChild(pidLink(x)); s.appendChild(document.createTextNode(' ')); }); return list && list.length ? s : 'none'; }
        row('Node', p.node + (p.remote ? ' (another node; pids as it prints them)' : ''), 'hc-p-node');
        row('Pid', p.pid, 'hc-p-pid');
        row('Registered name', p.name || 'none', 'hc-p-name');
        row('Module', p.module ? p.module + ' ' + p.version + (p.old ? ' (old code)' : '') : 'no module code', 'hc-p-module');
        row('State', p.status, 'hc-p-status');
        row('Mailbox', p.mailbox, 'hc-p-mailbox');
        row('Current function', p.function || 'none', 'hc-p-function');
        var stack = h('ol', {reversed: 'reversed'});
        (p.frames || []).slice().reverse().forEach(function (f) { stack.appendChild(h('li', null, f)); });
        row('Versions on its stack (innermost first)', (p.frames || []).length ? stack : 'none', 'hc-p-frames');
        row('Traps exits', p.trapExit ? 'yes' : 'no', 'hc-p-trap');
        row('Links', pids(p.links), 'hc-p-links');
        row('Monitors', pids(p.monitors), 'hc-p-monitors');
        row('Monitored by', pids(p.monitoredBy), 'hc-p-monitoredby');
        if (p.server) { row('Server state (Sys.getState)', p.state !== undefined ? p.state : p.stateError, 'hc-p-state'); }
        var msgs = h('ol', {start: '1'});
        (p.messages || []).forEach(function (m) { msgs.appendChild(h('li', null, h('code', null, m))); });
        row('First messages in its mailbox (oldest first, passed over by a receive first; at most 20)',
          (p.messages || []).length ? msgs : 'none', 'hc-p-messages');
      });
    }, 1000);
  }

  // ------------------------------------------------------------------ nodes

  /**
   * The node selector above the processes (and one process) view: this node and the connected nodes; choosing one
   * opens that node's processes. Not shown when this runtime is no node of a cluster (nothing changes then).
   */
  function nodeSelector(path) {
    var bar = h('div', {id: 'hc-nodebar', 'class': 'hc-nodebar'});
    main.appendChild(bar);
    get('/nodes', {brief: '1'}).then(function (r) {
      if (r.status !== 200 || !r.body.clustered) { return; }
      var names = r.body.names.slice();
      if (NODE && names.indexOf(NODE) < 0) { names.push(NODE); } // a node gone: still selected, its error shown
      var sel = h('select', {id: 'hc-node'});
      names.forEach(function (n) {
        var o = h('option', {value: n === r.body.node ? '' : n}, n + (n === r.body.node ? ' (this node)' : ''));
        if ((NODE || '') === (n === r.body.node ? '' : n)) { o.selected = true; }
        sel.appendChild(o);
      });
      sel.onchange = function () { location.href = page(path || '/processes') + (sel.value ? '?' + qs({node: sel.value}) : ''); };
      bar.appendChild(h('label', null, 'Node: ', sel));
    });
  }

  function nodes() {
    var head = h('p', {id: 'hc-nodes-self'});
    var t = table('hc-nodes', ['N', 'Node', 'Incarnation', 'Address', 'Connected', 'Modules']);
    main.appendChild(head);
    main.appendChild(t);
    poll(function () {
      return get('/nodes').then(function (r) {
        if (r.status !== 200) { say(r.body.error, true); return; }
        var b = r.body;
        head.textContent = b.clustered ? 'This node: ' + b.node : b.message;
        t.style.display = b.clustered ? '' : 'none';
        var tb = clear(t.tBodies[0]);
        b.nodes.forEach(function (n) {
          var mods = n.modules ? Object.keys(n.modules).map(function (k) { return k + ' ' + n.modules[k]; }).join(', ') || '–' : '';
          if (n.problem) { mods = n.problem + (mods ? ' (as it last announced them: ' + mods + ')' : ''); }
          var name = n.connected
            ? h('a', {href: page('/processes') + (n.self ? '' : '?' + qs({node: n.node})), 'class': 'hc-node-link'}, n.node)
            : n.node;
          tb.appendChild(h('tr', {'data-node': n.node, 'class': n.connected ? '' : 'hc-gone'},
            h('td', {'class': 'hc-num'}, n.index), h('td', null, name, n.self ? ' (this node)' : ''),
            h('td', null, n.incarnation || '–'), h('td', null, n.address || '–'),
            h('td', {'class': 'hc-connected'}, n.connected ? 'yes' : 'no'),
            h('td', {'class': n.problem ? 'hc-modules hc-bad' : 'hc-modules'}, mods)));
        });
      });
    }, 2000);
  }

  // ------------------------------------------------------------------ dead letters, upgrades

  function deadLetters() {
    var total = h('p', {id: 'hc-dl-total'});
    var reasons = table('hc-dl-reasons', ['Reason', 'Count']);
    var latest = table('hc-dl-latest', ['When', 'From', 'To', 'Reason', 'Message']);
    main.appendChild(total);
    main.appendChild(h('h3', null, 'By reason'));
    main.appendChild(reasons);
    main.appendChild(h('h3', null, 'Latest (newest first)'));
    main.appendChild(latest);
    poll(function () {
      return get('/deadletters').then(function (r) {
        if (r.status !== 200) { say(r.body.error, true); return; }
        total.textContent = fmt(r.body.total, 0) + ' dead letters since the runtime started';
        var tb = clear(reasons.tBodies[0]);
        Object.keys(r.body.byReason).forEach(function (k) { tb.appendChild(h('tr', null, h('td', null, k), h('td', {'class': 'hc-num'}, r.body.byReason[k]))); });
        tb = clear(latest.tBodies[0]);
        r.body.latest.forEach(function (d) {
          tb.appendChild(h('tr', null, h('td', null, d.at), h('td', {'class': 'hc-dl-from'}, d.from), h('td', null, d.to), h('td', null, d.reason), h('td', null, d.message)));
        });
      });
    }, 1000);
  }

  function upgrades() {
    var t = table('hc-upgrades', ['#', 'When', 'What', 'Module', 'From / dropped', 'To', 'Took', 'Servers / killed', 'Detail']);
    var rel = table('hc-releases', ['Release', 'Version', 'Status']);
    main.appendChild(t);
    main.appendChild(h('h3', null, 'Releases'));
    main.appendChild(rel);
    var all = [], after = 0;
    poll(function () {
      return get('/upgrades', {after: after}).then(function (r) {
        if (r.status !== 200) { say(r.body.error, true); return; }
        r.body.events.forEach(function (e) { all.push(e); after = Math.max(after, e.seq); });
        var tb = clear(t.tBodies[0]);
        all.slice().reverse().forEach(function (e) {
          tb.appendChild(h('tr', {'class': 'hc-kind-' + e.kind},
            h('td', null, e.seq), h('td', null, time(e.at)), h('td', null, e.kind.replace('_', ' ')), h('td', null, e.module || ''),
            h('td', null, e.from || ''), h('td', null, e.to || ''), h('td', null, e.micros >= 0 ? fmt(e.micros / 1000, 2) + ' ms' : ''),
            h('td', {'class': 'hc-num'}, e.count), h('td', null, e.detail || '')));
        });
        tb = clear(rel.tBodies[0]);
        r.body.releases.forEach(function (x) { tb.appendChild(h('tr', null, h('td', null, x.name), h('td', null, x.version), h('td', null, x.status))); });
      });
    }, 1000);
  }

  // ------------------------------------------------------------------ start

  var views = {overview: overview, modules: function () { modules(false); }, module: function () { modules(true); },
    processes: processes, process: processView, nodes: nodes, deadletters: deadLetters, upgrades: upgrades};
  if (views[VIEW] && !(document.getElementById('hc-notfound') && (VIEW === 'module'))) { views[VIEW](); }
}());
