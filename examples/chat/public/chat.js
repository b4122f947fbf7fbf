// Chat page: EventSource for what arrives, fetch POST for what is sent.
(() => {
  const $ = (id) => document.getElementById(id);
  let me = '';
  let room = '';
  /** The room's stream; closed when the member leaves or joins another room. */
  let source;

  function add(message) {
    const item = document.createElement('li');
    if (message.name === me) item.className = 'mine';
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = message.name;
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = message.text;
    const when = document.createElement('span');
    when.className = 'when';
    when.textContent = new Date(message.t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    item.append(who, text, when);
    const list = $('messages');
    list.append(item);
    list.scrollTop = list.scrollHeight;
  }

  /** Stops following the room: its stream closes, its messages and figures go. */
  function stop() {
    source?.close();
    source = undefined;
    $('messages').textContent = '';
    $('people').textContent = '0';
    $('error').textContent = '';
    $('state').textContent = 'connecting';
    $('state').classList.remove('open');
  }

  async function join(event) {
    event.preventDefault();
    stop();
    me = $('name').value.trim();
    room = $('room').value.trim();
    $('join').hidden = true;
    $('chat').hidden = false;
    $('room-name').textContent = room;
    // Replay the room from the server's start: that is the history a newcomer sees.
    const { origin } = await (await fetch('/chat/config.json')).json();
    if ($('chat').hidden) return; // left again while the configuration was on its way
    const params = new URLSearchParams({ topic: `chat/${room}`, lastEventId: origin });
    const current = new EventSource(`/events?${params}`);
    source = current;
    const state = () => {
      const open = current.readyState === EventSource.OPEN;
      $('state').textContent = open
        ? 'live'
        : current.readyState === EventSource.CONNECTING
          ? 'reconnecting'
          : 'closed';
      $('state').classList.toggle('open', open);
    };
    current.onopen = state;
    current.onerror = state;
    current.addEventListener('message', (e) => add(JSON.parse(e.data)));
    current.addEventListener('presence', (e) => {
      $('people').textContent = String(JSON.parse(e.data).count);
    });
    $('text').focus();
  }

  async function say(event) {
    event.preventDefault();
    const input = $('text');
    const response = await fetch('/chat/send', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ room, name: me, text: input.value }),
    });
    if (response.ok) {
      input.value = '';
      $('error').textContent = '';
    } else {
      $('error').textContent = (await response.json()).error;
    }
  }

  function leave() {
    stop();
    $('chat').hidden = true;
    $('join').hidden = false;
    $('room').focus();
  }

  $('join').addEventListener('submit', join);
  $('leave').addEventListener('click', leave);
  $('say').addEventListener('submit', say);
})();
