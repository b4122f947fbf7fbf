// The page of the private inbox: a native EventSource on the hub (another origin), authorized by
// the HttpOnly cookie (withCredentials) or by a single-use ticket from the app's backend. When the
// hub says herald-reauth (the token expired), the page gets a fresh cookie or ticket and comes back
// where it left off (lastEventId), so nothing is missed.
(() => {
  const $ = (id) => document.getElementById(id);
  let config;
  let source;
  let lastId = '';
  let retryTimer;
  let failures = 0;

  function setState(state) {
    $('state').textContent = state;
    $('state').dataset.state = state;
  }

  function showError(text) {
    $('error').textContent = text;
  }

  async function api(path, body) {
    const response = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
    const value = await response.json();
    if (!response.ok) throw new Error(value.error || `${path}: ${response.status}`);
    return value;
  }

  /** The stream's URL: the user's own topic, where it left off, and a ticket in ticket mode. */
  async function streamUrl() {
    const params = new URLSearchParams({ topic: `users/${config.user}/inbox` });
    if (lastId) params.set('lastEventId', lastId);
    if ($('mode').value === 'ticket') params.set('ticket', (await api('/api/ticket')).ticket);
    return `${config.hubUrl}/events?${params}`;
  }

  async function connect() {
    clearTimeout(retryTimer);
    source?.close();
    const url = await streamUrl();
    const cookieMode = $('mode').value === 'cookie';
    const es = new EventSource(url, { withCredentials: cookieMode });
    source = es;
    window.inbox.connections++;
    setState('connecting');
    es.onopen = () => {
      failures = 0;
      setState('open');
    };
    es.addEventListener('mail', (e) => {
      lastId = e.lastEventId;
      show(JSON.parse(e.data));
    });
    es.addEventListener('herald-reauth', () => {
      // The credential expired: a fresh one, then back from the last id.
      window.inbox.reauths++;
      es.close();
      renew().catch((error) => showError(String(error)));
    });
    es.onerror = () => {
      if (es !== source) return;
      // A ticket is single-use and a refused cookie is not retried by the browser: when it gives
      // up (CLOSED), come back with a fresh credential, a little later each time.
      if (es.readyState === EventSource.CLOSED) {
        setState('reconnecting');
        failures++;
        retryTimer = setTimeout(
          () => renew().catch((error) => showError(String(error))),
          Math.min(10_000, 500 * 2 ** failures),
        );
      } else setState('reconnecting');
    };
  }

  async function renew() {
    if ($('mode').value === 'cookie') await api('/api/refresh');
    await connect();
  }

  function show(mail) {
    const item = document.createElement('li');
    const from = document.createElement('strong');
    from.textContent = mail.from;
    const text = document.createElement('span');
    text.textContent = mail.text;
    item.append(from, text);
    $('mail').prepend(item);
    window.inbox.received.push(`${mail.from}: ${mail.text}`);
  }

  function options(select, values) {
    select.replaceChildren(
      ...values.map((v) => Object.assign(document.createElement('option'), { value: v, textContent: v })),
    );
  }

  async function start() {
    window.inbox = { received: [], connections: 0, reauths: 0 };
    config = await (await fetch('/api/me')).json();
    options($('user'), config.users);
    options($('to'), config.users);
    $('login').addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        showError('');
        config.user = (await api('/api/login', { user: $('user').value })).user;
        $('me').textContent = config.user;
        $('login').hidden = true;
        $('inbox').hidden = false;
        await connect();
      } catch (error) {
        showError(String(error.message || error));
      }
    });
    $('send').addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await api('/api/send', { to: $('to').value, text: $('text').value });
        $('text').value = '';
      } catch (error) {
        showError(String(error.message || error));
      }
    });
    $('logout').addEventListener('click', async () => {
      source?.close();
      await api('/api/logout');
      location.reload();
    });
  }
  start();
})();
