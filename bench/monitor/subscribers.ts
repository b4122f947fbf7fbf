// Opens N idle event streams to the hub over loopback (raw sockets, no parsing), in batches, and
// says 'ready' once every stream has received the hub's first bytes.
import { connect, type Socket } from 'node:net';

const port = Number(process.argv[2]);
const count = Number(process.argv[3]);
const BATCH = 250;
const sockets: Socket[] = [];
let ready = 0;
let failed = 0;

function open(i: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    let first = true;
    socket.on('connect', () => {
      socket.write(
        `GET /events?topic=idle/${i % 100} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`,
      );
    });
    socket.on('data', () => {
      if (!first) return;
      first = false;
      ready++;
      resolve();
    });
    socket.on('error', () => {
      failed++;
      resolve();
    });
  });
}

for (let i = 0; i < count; i += BATCH) {
  const batch: Promise<void>[] = [];
  for (let j = i; j < Math.min(count, i + BATCH); j++) batch.push(open(j));
  await Promise.all(batch);
}
process.send?.({ ready, failed });
process.on('disconnect', () => {
  for (const socket of sockets) socket.destroy();
  process.exit(0);
});
