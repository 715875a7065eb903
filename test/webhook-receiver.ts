/**
 * A real HTTP receiver of webhook deliveries for tests: it records every
 * request (headers and raw body), answers with a status the test chooses,
 * and can be stopped and started again on the same port.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
  /** The parsed body. */
  event: { type: string; sequence: number; id: string; timestamp: string; data: any };
}

export interface WebhookReceiver {
  url: string;
  deliveries: Delivery[];
  /** The status to answer with (default 204); 'hang' never answers. */
  respond: number | 'hang';
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  let server: Server | undefined;
  let port = 0;
  const receiver: WebhookReceiver = {
    url: '',
    deliveries: [],
    respond: 204,
    async start() {
      server = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (c: Buffer) => chunks.push(c));
        request.on('end', () => {
          if (receiver.respond === 'hang') return;
          const body = Buffer.concat(chunks).toString('utf8');
          if (receiver.respond >= 200 && receiver.respond < 300) {
            receiver.deliveries.push({ headers: request.headers, body, event: JSON.parse(body) });
          }
          response.statusCode = receiver.respond;
          response.end();
        });
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
      receiver.url = `http://127.0.0.1:${port}/hooks/baton`;
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  await receiver.start();
  return receiver;
}
