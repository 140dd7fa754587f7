'use strict';

// node `ws`, a peer of tests/test_interop.py, with its defaults: its server
// doesn't accept permessage-deflate, its client offers it. It answers pings
// and close frames by itself. Same protocol as the Python peers: see
// peer_common.py.
//
//     node node_peer.js server [--subprotocols chat,superchat] [--credentials u:p]
//     node node_peer.js client

const readline = require('readline');
const { WebSocket, WebSocketServer } = require('ws');

// Large enough for the 8 MiB messages of the tests.
const MAX_SIZE = 2 ** 24;
const CHALLENGE = 'Basic realm="interop"';

const ABOUT = {
  library: `ws ${require('ws/package.json').version} on node ${process.version}`,
  module: require.resolve('ws'),
};

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function parseOptions(argv) {
  const options = { role: argv[0], subprotocols: [], credentials: null };
  for (let i = 1; i < argv.length; i += 2) {
    if (argv[i] === '--subprotocols') {
      options.subprotocols = argv[i + 1].split(',').filter(Boolean);
    } else if (argv[i] === '--credentials') {
      options.credentials = argv[i + 1];
    } else {
      throw new Error(`unknown option: ${argv[i]}`);
    }
  }
  return options;
}

function authorized(header, credentials) {
  if (!header || credentials === null) return false;
  const [scheme, token] = header.split(' ', 2);
  if (scheme.toLowerCase() !== 'basic' || !token) return false;
  return Buffer.from(token, 'base64').toString('utf8') === credentials;
}

// Run a connection's scenario; resolve with the report when it's closed.
function runScenario(ws, mode) {
  return new Promise((resolve) => {
    let pongWaiter = null;

    const info = () => ({
      subprotocol: ws.protocol || null,
      extensions: ws.extensions.split(',').filter(Boolean),
    });

    const command = (cmd) => {
      if (cmd.do === 'info') {
        ws.send(JSON.stringify(info()));
      } else if (cmd.do === 'ping') {
        pongWaiter = (data) => ws.send(JSON.stringify({ pong: data.toString('utf8') }));
        ws.ping(Buffer.from(cmd.data, 'utf8'));
      } else if (cmd.do === 'send') {
        // Every send but the last has fin: false; ws sends continuations.
        cmd.parts.forEach((part, index) => {
          const data = cmd.binary ? Buffer.from(part, 'hex') : part;
          const fin = index === cmd.parts.length - 1;
          ws.send(data, { binary: cmd.binary, fin });
        });
      } else if (cmd.do === 'close') {
        ws.close(cmd.code, cmd.reason);
      } else {
        throw new Error(`unknown command: ${cmd.do}`);
      }
    };

    ws.on('message', (data, isBinary) => {
      if (mode === 'echo') {
        ws.send(data, { binary: isBinary });
      } else {
        command(JSON.parse(data.toString('utf8')));
      }
    });
    ws.on('pong', (data) => {
      if (pongWaiter !== null) {
        const waiter = pongWaiter;
        pongWaiter = null;
        waiter(data);
      }
    });
    // Errors end with a close event, which reports the code.
    ws.on('error', () => {});
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString('utf8'), ...info() });
    });
  });
}

function serve(options) {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    maxPayload: MAX_SIZE,
    handleProtocols: (offered) => {
      for (const subprotocol of options.subprotocols) {
        if (offered.has(subprotocol)) return subprotocol;
      }
      return false;
    },
    verifyClient: (info, callback) => {
      if (
        !info.req.url.startsWith('/auth') ||
        authorized(info.req.headers.authorization, options.credentials)
      ) {
        callback(true);
      } else {
        callback(false, 401, 'Unauthorized', { 'WWW-Authenticate': CHALLENGE });
      }
    },
  });
  wss.on('listening', () => emit({ listening: wss.address().port, ...ABOUT }));
  wss.on('connection', (ws, request) => {
    const path = request.url;
    const mode = path.startsWith('/ctl') ? 'ctl' : 'echo';
    runScenario(ws, mode).then((report) => emit({ event: 'closed', path, ...report }));
  });
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

function connectOnce(command) {
  return new Promise((resolve) => {
    let done = false;
    let timer = null;
    const finish = (result) => {
      clearTimeout(timer);
      if (!done) {
        done = true;
        resolve({ id: command.id, ...result });
      }
    };
    timer = setTimeout(() => finish({ error: 'timeout' }), 30000);
    const ws = new WebSocket(command.uri, command.subprotocols, { maxPayload: MAX_SIZE });
    ws.on('unexpected-response', (request, response) => {
      finish({ status: response.statusCode });
      response.resume();
      request.destroy();
    });
    let opened = false;
    ws.on('error', (error) => {
      if (!opened) finish({ error: error.message });
    });
    ws.on('open', () => {
      opened = true;
      runScenario(ws, command.mode).then((report) => finish({ status: 101, ...report }));
    });
  });
}

function connectPerLine() {
  emit({ ready: true, ...ABOUT });
  const lines = readline.createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  lines.on('line', (line) => {
    const command = JSON.parse(line);
    queue = queue.then(() => connectOnce(command)).then(emit);
  });
  lines.on('close', () => queue.then(() => process.exit(0)));
}

const options = parseOptions(process.argv.slice(2));
if (options.role === 'server') {
  serve(options);
} else if (options.role === 'client') {
  connectPerLine();
} else {
  throw new Error(`unknown role: ${options.role}`);
}
