// A calibration server for the single-node benchmark: node:http answering the benchmark's own requests
// with rqlite-shaped JSON, with no SQL, no log and no disk. It parses each body and builds each answer
// as a real server must, so its throughput is the most any Node HTTP server with JSON bodies can reach
// on this machine with this load generator sharing the cores: the floor under every other figure.
//
//   node dist/bench/http-floor-server.js      listens on 127.0.0.1, a port chosen by the OS
import http from 'node:http';

import { pointSelectSql, pointValue } from './workloads.js';

const bodyBytesMax = 64 * 1024 * 1024;
/** The server ends itself after this long, should the benchmark that started it be killed. */
const lifetimeMs = 30 * 60 * 1000;

type Statement = string | readonly unknown[];

function answerFor(path: string, statements: readonly Statement[]): string {
  if (path.startsWith('/db/query')) {
    const results = statements.map((statement) => {
      const [sql, id] = typeof statement === 'string' ? [statement, undefined] : statement;
      if (sql !== pointSelectSql || typeof id !== 'number')
        return { error: 'only point reads are served here' };
      return { columns: ['v'], types: ['text'], values: [[pointValue(id)]] };
    });
    return JSON.stringify({ results });
  }
  const results = statements.map((statement) =>
    (typeof statement === 'string' ? statement : String(statement[0])).startsWith('CREATE')
      ? {}
      : { last_insert_id: 1, rows_affected: 1 },
  );
  return JSON.stringify({ results });
}

const server = http.createServer((request, response) => {
  const path = request.url ?? '/';
  if (request.method === 'GET' && path === '/readyz') {
    response.end('[+]node ok\n[+]leader ok\n[+]store ok');
    return;
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  request.on('data', (chunk: Buffer) => {
    bytes += chunk.byteLength;
    if (bytes > bodyBytesMax) request.destroy();
    else chunks.push(chunk);
  });
  request.on('end', () => {
    let statements: unknown;
    try {
      statements = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      statements = undefined;
    }
    if (!Array.isArray(statements)) {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ results: [], error: 'the body is not a JSON array' }));
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(answerFor(path, statements as Statement[]));
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no TCP address');
  process.stderr.write(`[http] service listening on 127.0.0.1:${address.port}\n`);
});
setTimeout(() => process.exit(0), lifetimeMs).unref();
process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
