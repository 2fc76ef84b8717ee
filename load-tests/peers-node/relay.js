'use strict';
// The bare relay's room semantics on Node's `ws`, single-threaded, as the independent benchmark ran it:
// rooms are URL paths (/ws/rooms/{room}?id=peer), no auth, no log, no JSON beyond routing. A text frame starting
// with {"to":"peer" goes to that peer, any other text frame to everyone else in the room; on join the peer gets
// {"type":"welcome","id":"peer"}. Any plain HTTP request is a health check ("ok"). Speaks BareDialect, so the
// generator drives it unchanged (bench.sh target node-ws).
//
//   node relay.js [--host 127.0.0.1] [--port 8083]
const http = require('http');
const { WebSocketServer } = require('ws');

const PREFIX = '/ws/rooms/';
const TO = Buffer.from('{"to":"', 'latin1');
const QUOTE = 0x22;

function flags(argv) {
  const out = { host: '127.0.0.1', port: 8083 };
  for (let i = 0; i + 1 < argv.length; i += 2) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--host': out.host = v; break;
      case '--port': out.port = Number.parseInt(v, 10); break;
      default: throw new Error('unknown flag ' + argv[i]);
    }
  }
  return out;
}

/** The peer id of a frame starting with {"to":"id", or null. */
function target(data) {
  if (data.length < TO.length + 1 || data.compare(TO, 0, TO.length, 0, TO.length) !== 0) {
    return null;
  }
  const quote = data.indexOf(QUOTE, TO.length);
  return quote < 0 ? null : data.toString('latin1', TO.length, quote);
}

/** Members of one room: everyone in join order, and by peer id. */
class Room {
  constructor() {
    this.members = new Set();
    this.byId = new Map();
  }
}

function start({ host, port }) {
  const rooms = new Map();
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 3, Connection: 'close' });
    res.end('ok\n');
  });
  // 1 MiB frames like BareRelay; no compression (the Java peers have none either).
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20, perMessageDeflate: false });

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url, 'http://relay');
    const id = url.searchParams.get('id');
    if (!url.pathname.startsWith(PREFIX) || !id) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const roomId = url.pathname.substring(PREFIX.length);
    wss.handleUpgrade(req, socket, head, (ws) => join(ws, roomId, id));
  });

  function join(ws, roomId, id) {
    let room = rooms.get(roomId);
    if (!room) {
      room = new Room();
      rooms.set(roomId, room);
    }
    room.members.add(ws);
    room.byId.set(id, ws);
    ws.send('{"type":"welcome","id":"' + id + '"}');
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        return;
      }
      const to = target(data);
      if (to !== null) {
        const peer = room.byId.get(to);
        if (peer) {
          peer.send(data, { binary: false });
        }
        return;
      }
      for (const other of room.members) {
        if (other !== ws) {
          other.send(data, { binary: false });
        }
      }
    });
    ws.on('close', () => {
      room.members.delete(ws);
      if (room.byId.get(id) === ws) {
        room.byId.delete(id);
      }
      if (room.members.size === 0 && rooms.get(roomId) === room) {
        rooms.delete(roomId);
      }
    });
    ws.on('error', () => ws.terminate());
  }

  server.listen({ host, port, backlog: 4096 }, () => {
    console.log('node ws relay listening on port ' + server.address().port + ' (node ' + process.version + ')');
  });
  const stop = () => {
    for (const ws of wss.clients) {
      ws.terminate();
    }
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return server;
}

start(flags(process.argv.slice(2)));
