// Ticker page: one EventSource for the chosen symbols (stocks/* when all are chosen), one uPlot
// chart of the change in percent since each symbol's first point.
(() => {
  const COLORS = ['#5aa2ff', '#3fb950', '#d29922', '#f778ba', '#bc8cff', '#ff7b72'];
  const MAX_POINTS = 240;
  const $ = (id) => document.getElementById(id);
  let symbols = [];
  let chosen = [];
  let source;
  let chart;
  let rows = new Map(); // symbol -> { first, last, points: [[t, pct]] }
  const received = new Set();

  function subscription() {
    return chosen.length === symbols.length ? ['stocks/*'] : chosen.map((s) => `stocks/${s}`);
  }

  function chartData() {
    // Align every symbol on the union of timestamps (seconds), nulls where a symbol has no point.
    const times = [...new Set(chosen.flatMap((s) => rows.get(s)?.points.map((p) => p[0]) ?? []))].sort(
      (a, b) => a - b,
    );
    const index = new Map(times.map((t, i) => [t, i]));
    const series = chosen.map((s) => {
      const ys = new Array(times.length).fill(null);
      for (const [t, y] of rows.get(s)?.points ?? []) ys[index.get(t)] = y;
      return ys;
    });
    return [times, ...series];
  }

  function buildChart() {
    chart?.destroy();
    const host = $('chart');
    host.textContent = '';
    chart = new uPlot(
      {
        width: host.clientWidth,
        height: 300,
        scales: { x: { time: true } },
        axes: [
          {
            stroke: '#93a1b5',
            grid: { stroke: '#222b3b' },
            space: 80,
            values: (_u, v) => v.map((x) => new Date(x * 1000).toLocaleTimeString([], { hour12: false })),
          },
          {
            stroke: '#93a1b5',
            grid: { stroke: '#222b3b' },
            size: 64,
            // As many decimals as the tick step needs, so that small moves do not repeat a label.
            values: (_u, v, _axis, _space, step) => {
              let decimals = 1;
              while (
                decimals < 3 &&
                Math.abs(step * 10 ** decimals - Math.round(step * 10 ** decimals)) > 1e-6
              )
                decimals++;
              return v.map((x) => `${x.toFixed(decimals)}%`);
            },
          },
        ],
        series: [
          {},
          ...chosen.map((s) => ({
            label: s,
            stroke: COLORS[symbols.indexOf(s) % COLORS.length],
            width: 2,
            spanGaps: true,
            value: (_u, v) => (v == null ? '–' : `${v.toFixed(2)}%`),
          })),
        ],
      },
      chartData(),
      host,
    );
  }

  function renderTable() {
    const body = $('quotes');
    body.textContent = '';
    for (const s of chosen) {
      const row = rows.get(s);
      const tr = document.createElement('tr');
      tr.dataset.symbol = s;
      const change = row ? ((row.last - row.first) / row.first) * 100 : 0;
      for (const [cls, text] of [
        ['sym', s],
        ['last', row ? row.last.toFixed(2) : '–'],
        [change >= 0 ? 'pos' : 'neg', row ? `${change >= 0 ? '+' : ''}${change.toFixed(2)}%` : '–'],
        ['points', String(row ? row.points.length : 0)],
      ]) {
        const td = document.createElement('td');
        td.className = cls;
        td.textContent = text;
        tr.append(td);
      }
      body.append(tr);
    }
  }

  function subscribe() {
    source?.close();
    rows = new Map();
    received.clear();
    $('chart').dataset.received = '';
    const topics = subscription();
    $('subscription').textContent = topics.join(' ') || '(nothing)';
    buildChart();
    renderTable();
    if (topics.length === 0) return;
    const params = new URLSearchParams();
    for (const t of topics) params.append('topic', t);
    source = new EventSource(`/events?${params}`);
    const state = () => {
      $('state').textContent = ['connecting', 'live', 'closed'][source.readyState];
    };
    source.onopen = state;
    source.onerror = state;
    source.addEventListener('price', (e) => {
      const q = JSON.parse(e.data);
      received.add(q.symbol);
      $('chart').dataset.received = [...received].sort().join(',');
      let row = rows.get(q.symbol);
      if (!row) {
        row = { first: q.price, last: q.price, points: [] };
        rows.set(q.symbol, row);
      }
      row.last = q.price;
      row.points.push([q.t / 1000, ((q.price - row.first) / row.first) * 100]);
      if (row.points.length > MAX_POINTS) row.points.shift();
      const data = chartData();
      chart.setData(data);
      if (chart.cursor.left < 0) chart.setLegend({ idx: data[0].length - 1 });
      renderTable();
    });
  }

  async function start() {
    symbols = await (await fetch('/symbols.json')).json();
    const picker = $('picker');
    const fromUrl = new URLSearchParams(location.search).get('symbols');
    chosen = fromUrl ? fromUrl.split(',').filter((s) => symbols.includes(s)) : symbols.slice(0, 3);
    for (const s of symbols) {
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.value = s;
      box.checked = chosen.includes(s);
      box.addEventListener('change', () => {
        chosen = symbols.filter((x) => picker.querySelector(`input[value="${x}"]`).checked);
        subscribe();
      });
      label.append(box, s);
      picker.append(label);
    }
    subscribe();
    // The chart follows its card's width, whatever changes it (the window, the picker wrapping).
    let width = $('chart').clientWidth;
    new ResizeObserver(() => {
      const now = $('chart').clientWidth;
      if (now === width || now === 0) return;
      width = now;
      chart.setSize({ width, height: 300 });
    }).observe($('chart'));
  }
  start();
})();
