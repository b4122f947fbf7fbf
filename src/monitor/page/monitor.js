// Herald's monitor page: plain JS over the native EventSource. Charts start full from
// /monitor/history.json, then follow $SYS/stats live; warnings come from $SYS/warnings.
(() => {
  const MAX_POINTS = 600;
  const $ = (id) => document.getElementById(id);

  // ---- formatting -------------------------------------------------------------------------
  const nf = new Intl.NumberFormat('en');
  const num = (n) => (n === undefined || n === null ? '–' : nf.format(Math.round(n * 10) / 10));
  /** A count with its noun in the right number: "1 event", "2 events". */
  const count = (n, one, many = `${one}s`) => `${num(n)} ${n === 1 ? one : many}`;
  function bytes(n) {
    if (n === undefined || n === null) return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i++;
    }
    return `${n >= 100 || i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
  }
  function duration(seconds) {
    const d = Math.floor(seconds / 86400);
    const h = Math.floor((seconds % 86400) / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    if (d > 0) return `${d}d ${h}h ${m}m`;
    if (h > 0) return `${h}h ${m}m ${s}s`;
    if (m > 0) return `${m}m ${s}s`;
    return `${s}s`;
  }
  const clock = (t) => new Date(t).toLocaleTimeString([], { hour12: false });
  function set(id, text) {
    const el = $(id);
    if (el && el.textContent !== text) el.textContent = text;
  }
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ---- charts ----------------------------------------------------------------------------
  const series = {
    t: [],
    conn: [],
    pub: [],
    del: [],
    load1: [],
    load5: [],
    load15: [],
    cpuSys: [],
    cpuProc: [],
  };
  let lastT = 0;
  let intervalMs = 1000;
  const charts = [];

  const CHART_HEIGHT = 180;
  const hhmmss = (seconds) => new Date(seconds * 1000).toLocaleTimeString([], { hour12: false });
  function axisStyle() {
    return {
      stroke: '#8b98a9',
      grid: { stroke: 'rgba(139,152,169,0.12)', width: 1 },
      ticks: { show: false },
    };
  }
  function makeChart(id, lines, data) {
    const host = $(id);
    if (typeof uPlot === 'undefined' || !host) return;
    const opts = {
      width: Math.max(200, host.clientWidth),
      height: CHART_HEIGHT,
      cursor: { points: { size: 6 } },
      legend: { live: true },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] } },
      axes: [
        { ...axisStyle(), space: 70, values: (_u, splits) => splits.map(hhmmss) },
        { ...axisStyle(), size: 48 },
      ],
      series: [
        {},
        ...lines.map((line) => ({
          label: line.label,
          stroke: line.color,
          width: 2,
          fill: line.fill ? `${line.color}22` : undefined,
          points: { show: false },
          value: (_u, v) => (v === null || v === undefined ? '–' : num(v)),
        })),
      ],
    };
    host.textContent = '';
    const chart = new uPlot(opts, data(), host);
    charts.push({ chart, host, data });
  }
  function redrawCharts() {
    for (const { chart, host, data } of charts) {
      chart.setData(data());
      host.dataset.points = String(series.t.length);
      // Not hovering: the legend shows the latest values.
      if (chart.cursor.left < 0 && series.t.length > 0) chart.setLegend({ idx: series.t.length - 1 });
    }
  }
  function resizeCharts() {
    for (const { chart, host } of charts)
      chart.setSize({ width: Math.max(200, host.clientWidth), height: 190 });
  }

  function addPoint(s) {
    if (s.t <= lastT) return false;
    // A pause longer than a few ticks (the hub was away) shows as a break in the lines.
    if (lastT > 0 && s.t - lastT > intervalMs * 4) pushRow((lastT + 1) / 1000, null);
    lastT = s.t;
    pushRow(s.t / 1000, s);
    return true;
  }
  function pushRow(x, s) {
    series.t.push(x);
    series.conn.push(s ? s.connections.now : null);
    series.pub.push(s ? s.events.publishedPerSecond : null);
    series.del.push(s ? s.events.deliveredPerSecond : null);
    series.load1.push(s ? s.load[0] : null);
    series.load5.push(s ? s.load[1] : null);
    series.load15.push(s ? s.load[2] : null);
    series.cpuSys.push(s ? s.cpu.system : null);
    series.cpuProc.push(s ? s.cpu.process : null);
    if (series.t.length > MAX_POINTS) for (const key of Object.keys(series)) series[key].shift();
  }

  // ---- current values --------------------------------------------------------------------
  function render(s) {
    set('uptime', duration(s.uptimeSeconds));
    set('connections-now', num(s.connections.now));
    set('connections-opened-rate', num(s.connections.openedPerSecond));
    set('connections-closed-rate', num(s.connections.closedPerSecond));
    set('http-rate', num(s.http.perSecond));
    set('http-total', num(s.http.requests));
    set('events-published-rate', num(s.events.publishedPerSecond));
    set('events-delivered-rate', num(s.events.deliveredPerSecond));
    set('events-published', num(s.events.published));
    set('bytes-rate', `${bytes(s.bytesOut.perSecond)}/s`);
    set('bytes-total', bytes(s.bytesOut.total));
    set('load-1', s.load[0].toFixed(2));
    set('load-5', s.load[1].toFixed(2));
    set('load-15', s.load[2].toFixed(2));
    set('cpus', count(s.cpus, 'CPU'));
    set('cpu-system', num(s.cpu.system));
    set('cpu-process', num(s.cpu.process));
    set('mem-used', num(s.memory.systemUsed * 100));
    set('mem-rss', bytes(s.memory.rss));
    set('mem-total', bytes(s.memory.systemTotal));
    set('history-events', count(s.history.events, 'event'));
    set('history-bytes', bytes(s.history.bytes));
    set('slow-consumers', count(s.slowConsumerDisconnects, 'slow drop'));
    renderTop(s.top);
    renderTopics(s.topics);
    renderCluster(s.cluster, s.t);
    renderActive(s.warnings);
    document.body.dataset.ticks = String(Number(document.body.dataset.ticks || 0) + 1);
  }

  function renderTop(top) {
    const body = $('top-body');
    body.textContent = '';
    if (!top) {
      const row = el('tr');
      const cell = el(
        'td',
        'empty',
        'Process list: measuring…, Linux only, or hidden beyond loopback (--monitor-processes)',
      );
      cell.colSpan = 4;
      row.append(cell);
      body.append(row);
      return;
    }
    const max = Math.max(100, ...top.map((p) => p.cpu));
    for (const p of top) {
      const row = el('tr');
      const cpu = el('td', 'num');
      const wrap = el('div', 'cpu-cell');
      const meter = el('span', 'meter');
      const fill = el('span');
      fill.style.width = `${Math.min(100, (p.cpu / max) * 100)}%`;
      meter.append(fill);
      wrap.append(meter, el('span', '', `${p.cpu.toFixed(1)}%`));
      cpu.append(wrap);
      row.append(
        el('td', 'num', String(p.pid)),
        el('td', 'name', p.name),
        cpu,
        el('td', 'num', bytes(p.rss)),
      );
      body.append(row);
    }
  }

  /** A cell that names its column, for narrow screens where each row stands alone (no header). */
  function labelled(cell, label) {
    cell.dataset.label = label;
    return cell;
  }

  /** Each hub of the cluster beside this one (absent: this hub is alone on its store). */
  function renderCluster(cluster, now) {
    const panel = $('cluster-panel');
    panel.hidden = !cluster;
    if (!cluster) return;
    set('cluster-count', `${count(cluster.length, 'hub')} on one Redis stream`);
    const body = $('cluster-body');
    body.textContent = '';
    for (const hub of cluster) {
      const row = el('tr', hub.self ? 'self' : '');
      const ago = Math.max(0, (now - hub.lastSeen) / 1000);
      row.append(
        el('td', 'name', hub.self ? `${hub.id} (this hub)` : hub.id),
        el('td', 'address', hub.address || '–'),
        labelled(el('td', 'num', num(hub.connections)), 'Connections'),
        labelled(el('td', 'num', num(hub.eventsPerSecond)), 'Events/s'),
        labelled(el('td', 'num', hub.self ? 'now' : `${ago.toFixed(1)} s ago`), 'Last seen'),
      );
      body.append(row);
    }
  }

  function renderTopics(topics) {
    const body = $('topics-body');
    body.textContent = '';
    set('topics-count', count(topics.count, 'selector'));
    if (topics.top.length === 0) {
      const row = el('tr');
      const cell = el('td', 'empty', 'No subscriptions yet');
      cell.colSpan = 2;
      row.append(cell);
      body.append(row);
    }
    for (const t of topics.top) {
      const row = el('tr');
      row.append(el('td', 'name', t.selector), el('td', 'num', num(t.subscribers)));
      body.append(row);
    }
  }

  const CARD_OF_RULE = { load: 'load-1', memory: 'mem-used', connections: 'connections-now' };
  const lastMessage = new Map();
  function renderActive(names) {
    const box = $('active-warnings');
    box.textContent = '';
    box.hidden = names.length === 0;
    for (const card of document.querySelectorAll('.card.warn')) card.classList.remove('warn');
    for (const name of names) {
      const line = el('div', 'alert');
      line.append(el('strong', '', name), el('span', '', lastMessage.get(name) || 'at warning level'));
      box.append(line);
      const target = CARD_OF_RULE[name] && $(CARD_OF_RULE[name]);
      target?.closest('.card')?.classList.add('warn');
    }
  }

  function addWarning(w) {
    if (w.kind === 'warning') lastMessage.set(w.rule, w.message);
    const list = $('warnings-list');
    list.querySelector('.empty')?.remove();
    const item = el('li');
    item.dataset.kind = w.kind;
    item.append(
      el('span', `badge ${w.kind}`, w.kind),
      el('span', 'msg', w.message),
      el('span', 'when', clock(w.t)),
    );
    list.prepend(item);
    while (list.children.length > 50) list.lastElementChild.remove();
  }

  // ---- connection ------------------------------------------------------------------------
  let source;
  let everOpen = false;
  function showPill(state, text) {
    const box = $('conn-state');
    if (box.dataset.state !== state) {
      box.dataset.state = state;
      set('conn-state-text', text);
    }
  }
  /** Figures that stopped being current (the stream is down) are dimmed and dated, until the next snapshot. */
  function showStale(stale) {
    document.body.classList.toggle('stale', stale);
    const note = $('stale-note');
    note.hidden = !stale;
    if (stale) set('stale-note', `Figures from ${clock(lastT)}, hub unreachable: not live until it is back.`);
  }
  function showState() {
    const rs = source ? source.readyState : EventSource.CONNECTING;
    const state =
      rs === EventSource.OPEN
        ? 'open'
        : rs === EventSource.CONNECTING
          ? everOpen
            ? 'reconnecting'
            : 'connecting'
          : 'closed';
    showPill(state, state);
    // Not at the first connect, whose figures (from the history) are a moment old at most.
    if (state !== 'open' && lastT > 0 && (everOpen || state === 'closed')) showStale(true);
  }

  // ---- a private monitor: a token from the viewer, traded for single-use tickets -------------
  let monitorToken = sessionStorage.getItem('herald-monitor-token') || '';
  const authHeaders = () => (monitorToken ? { authorization: `Bearer ${monitorToken}` } : {});

  /** The history, or `{ refused }` with the hub's reason when the monitor is private to this viewer. */
  async function fetchHistory() {
    const response = await fetch('monitor/history.json', { cache: 'no-store', headers: authHeaders() });
    if (response.status === 401 || response.status === 403)
      return { refused: (await response.text()).trim() };
    return { history: await response.json() };
  }

  /** Shows the token form until the hub accepts a token; resolves with the history then. */
  function askForToken(reason) {
    const form = $('monitor-auth');
    form.hidden = false;
    showPill('token-needed', 'token needed');
    set('monitor-auth-reason', reason);
    return new Promise((resolve) => {
      form.addEventListener('submit', async function onSubmit(e) {
        e.preventDefault();
        monitorToken = $('monitor-token').value.trim();
        sessionStorage.setItem('herald-monitor-token', monitorToken);
        const answer = await fetchHistory().catch((error) => ({ refused: String(error) }));
        if (answer.refused !== undefined) {
          set('monitor-auth-reason', answer.refused);
          return;
        }
        form.removeEventListener('submit', onSubmit);
        form.hidden = true;
        resolve(answer);
      });
    });
  }

  /** The stream's URL: with a fresh ticket when a monitor token is in use (a ticket serves once). */
  async function streamUrl() {
    const params = new URLSearchParams();
    params.append('topic', '$SYS/stats');
    params.append('topic', '$SYS/warnings');
    if (monitorToken) {
      const response = await fetch('tickets', { method: 'POST', headers: authHeaders() });
      if (response.ok) params.set('ticket', (await response.json()).ticket);
    }
    return `events?${params}`;
  }

  let reconnectTimer;
  async function connect() {
    clearTimeout(reconnectTimer);
    source?.close();
    source = new EventSource(await streamUrl());
    const own = source;
    source.onopen = () => {
      everOpen = true;
      showState();
    };
    source.onerror = () => {
      showState();
      // With a ticket the browser's own reconnect is refused (single use): come back with a new one.
      if (monitorToken && own === source && own.readyState === EventSource.CLOSED) {
        reconnectTimer = setTimeout(() => connect().catch(showState), 1000 + Math.random() * 1000);
      }
    };
    source.addEventListener('herald-reauth', () => {
      own.close();
      reconnectTimer = setTimeout(() => connect().catch(showState), 200);
    });
    source.addEventListener('stats', (e) => {
      const s = JSON.parse(e.data);
      if (addPoint(s)) {
        render(s);
        redrawCharts();
        showStale(false);
      }
    });
    const onWarning = (e) => addWarning(JSON.parse(e.data));
    source.addEventListener('warning', onWarning);
    source.addEventListener('recovered', onWarning);
  }

  // ---- publish a test event ----------------------------------------------------------------
  // `herald token` alone is a dead end on a hub started without a key (its random key is never
  // shown): say how to get a token that hub takes, or a key to mint one with.
  const KEY_HELP =
    'no token? paste the one `npx herald serve` printed at its start (export HERALD_TOKEN=...). ' +
    'To mint your own, start the hub with a key: export HERALD_JWT_KEY=$(openssl rand -base64 32); ' +
    "npx herald serve (or --jwt-key KEY), then in a shell with the same HERALD_JWT_KEY: npx herald token --publish 'demo/**'";
  let probe;
  let probeTopic = '';
  function logLine(kind, text) {
    const list = $('publish-log');
    const item = el('li');
    item.append(
      el('span', `badge ${kind}`, kind),
      el('span', 'msg', text),
      el('span', 'when', clock(Date.now())),
    );
    list.prepend(item);
    while (list.children.length > 20) list.lastElementChild.remove();
  }
  function watch(topic) {
    if (probe && probeTopic === topic) return Promise.resolve();
    probe?.close();
    probeTopic = topic;
    probe = new EventSource(`events?topic=${encodeURIComponent(topic)}`);
    probe.onmessage = (e) => logLine('event', `received on ${topic}: ${e.data}  (id ${e.lastEventId})`);
    return new Promise((resolve) => {
      probe.addEventListener('open', () => resolve(), { once: true });
      setTimeout(resolve, 3000);
    });
  }
  function setupPublish() {
    const form = $('publish-form');
    const token = $('publish-token');
    token.value = sessionStorage.getItem('herald-token') || '';
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const topic = $('publish-topic').value.trim();
      const data = $('publish-data').value;
      sessionStorage.setItem('herald-token', token.value.trim());
      if (!topic || topic.startsWith('$')) {
        logLine('error', 'pick a topic such as demo/hello ($ topics belong to the hub)');
        return;
      }
      try {
        await watch(topic);
        const headers = { 'content-type': 'application/json' };
        if (token.value.trim()) headers.authorization = `Bearer ${token.value.trim()}`;
        const response = await fetch('publish', {
          method: 'POST',
          headers,
          body: JSON.stringify({ topic, data }),
        });
        const text = (await response.text()).trim();
        if (response.ok) logLine('event', `published to ${topic} as id ${text}`);
        else logLine('error', `${response.status}: ${text}`);
        if (response.status === 401 || response.status === 403) logLine('hint', KEY_HELP);
      } catch (error) {
        logLine('error', String(error));
      }
    });
  }

  // ---- start -----------------------------------------------------------------------------
  async function start() {
    setupPublish();
    try {
      let answer = await fetchHistory();
      if (answer.refused !== undefined) answer = await askForToken(answer.refused);
      const history = answer.history;
      intervalMs = history.intervalMs || 1000;
      for (const s of history.snapshots) addPoint(s);
      const last = history.snapshots[history.snapshots.length - 1];
      if (last) {
        render(last);
      }
      for (const w of history.warnings) addWarning(w);
    } catch {
      // No history (an older hub, or it is down): the charts fill as events arrive.
    }
    const d = () => [series.t, series.conn];
    makeChart('chart-connections', [{ label: 'open', color: '#58a6ff', fill: true }], d);
    makeChart(
      'chart-events',
      [
        { label: 'published/s', color: '#bc8cff' },
        { label: 'delivered/s', color: '#3fb950', fill: true },
      ],
      () => [series.t, series.pub, series.del],
    );
    makeChart(
      'chart-load',
      [
        { label: '1 min', color: '#d29922', fill: true },
        { label: '5 min', color: '#8b98a9' },
        { label: '15 min', color: '#58a6ff' },
      ],
      () => [series.t, series.load1, series.load5, series.load15],
    );
    makeChart(
      'chart-cpu',
      [
        { label: 'system %', color: '#f778ba', fill: true },
        { label: 'hub process %', color: '#58a6ff' },
      ],
      () => [series.t, series.cpuSys, series.cpuProc],
    );
    redrawCharts();
    window.addEventListener('resize', resizeCharts);
    // $SYS events are live only (no id, no replay): snapshots older than the history's last are skipped.
    setInterval(showState, 250);
    connect().catch(showState);
  }
  start();
})();
