// Chat page: EventSource for what arrives, fetch POST for what is sent.
(() => {
  const $ = (id) => document.getElementById(id);
  let me = '';
  let room = '';

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

  async function join(event) {
    event.preventDefault();
    me = $('name').value.trim();
    room = $('room').value.trim();
    $('join').hidden = true;
    $('chat').hidden = false;
    $('room-name').textContent = room;
    // Replay the room from the server's start: that is the history a newcomer sees.
    const { origin } = await (await fetch('/chat/config.json')).json();
    const params = new URLSearchParams({ topic: `chat/${room}`, lastEventId: origin });
    const source = new EventSource(`/events?${params}`);
    const state = () => {
      const open = source.readyState === EventSource.OPEN;
      $('state').textContent = open
        ? 'live'
        : source.readyState === EventSource.CONNECTING
          ? 'reconnecting'
          : 'closed';
      $('state').classList.toggle('open', open);
    };
    source.onopen = state;
    source.onerror = state;
    source.addEventListener('message', (e) => add(JSON.parse(e.data)));
    source.addEventListener('presence', (e) => {
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

  $('join').addEventListener('submit', join);
  $('say').addEventListener('submit', say);
})();
