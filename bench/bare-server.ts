/**
 * The ceiling: a bare node:http server that reads the request and answers a
 * fixed JSON envelope the size of a small Baton answer. Nothing Baton does is
 * cheaper than this, so every row is reported as a ratio to it.
 *
 * With BARE_BODY_FILE set it answers that file's bytes instead: the bench saves
 * Baton's own getConferenceData answer (160 kB) there, so that row's ratio is
 * to a bare server sending exactly the same bytes.
 */
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const bodyFile = process.env.BARE_BODY_FILE;
const fixed = JSON.stringify({
  message: '',
  value: {
    UID: 'P00000000000001',
    conferenceUID: 'C00000000000001',
    name: 'Bench Person',
    email: 'bench@example.com',
    role: 'PARTICIPANT',
    PIN: '123456',
    callInNumber: '+1 555 0100',
    notes: '',
    custom1: '',
    custom2: '',
    custom: [],
  },
  code: 0,
});
// One Buffer, written as it is: no per-request encoding of a 160 kB string.
const body: Buffer = bodyFile ? readFileSync(bodyFile) : Buffer.from(fixed);

const workers = Number(process.env.BARE_WORKERS ?? 1);
if (cluster.isPrimary && workers > 1) {
  // The primary only forks; the first worker to listen names the shared port.
  for (let i = 0; i < workers; i++) cluster.fork();
  let named = false;
  cluster.on('message', (_worker, message: unknown) => {
    if (named || typeof message !== 'string') return;
    named = true;
    process.stdout.write(message);
  });
  const stopAll = () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    process.exit(0);
  };
  process.once('SIGTERM', stopAll);
  process.once('SIGINT', stopAll);
} else serve();

function serve(): void {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'content-length': body.length,
      });
      response.end(body);
    });
  });

  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address && typeof address === 'object') {
      const line = `listening on http://127.0.0.1:${address.port}\n`;
      if (cluster.isWorker) process.send?.(line);
      else process.stdout.write(line);
    }
  });
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
  process.once('SIGINT', () => server.close(() => process.exit(0)));
}
