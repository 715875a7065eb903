/**
 * The mail transport makes its nodemailer transporter on the first message
 * (nodemailer loaded then): a process that never sends mail (a cluster
 * worker, the CLI) closes it without making one, and one made late sends.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSmtpPeer } from '../../test/smtp-peer.js';
import { loadConfig } from '../config.js';
import { createMailTransport } from './transport.js';

const message = { to: 'ann@example.com', subject: 'Hello', text: 'Hello Ann', html: '<p>Hello Ann</p>' };
const envelope = (id: string) => ({ id, createdAt: Date.UTC(2026, 0, 15, 17), kind: 'confirmation' });

describe('the mail transport', () => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-transport-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes nothing to the outbox until the first message, then that message', async () => {
    const outbox = join(dir, 'outbox');
    const idle = createMailTransport(loadConfig({ MAIL_OUTBOX_DIR: outbox }));
    expect(idle.kind).toBe('outbox');
    idle.close();
    expect(existsSync(outbox)).toBe(false);

    const transport = createMailTransport(loadConfig({ MAIL_OUTBOX_DIR: outbox }));
    const id = await transport.send(message, envelope('M000000000000001'));
    expect(id).toMatch(/^<.+>$/);
    expect(readdirSync(outbox)).toEqual(['20260115T170000Z-M000000000000001.eml']);
    transport.close();
  });

  it('keeps the outbox and its messages (PINs, password links) readable by the service user only', async () => {
    const outbox = join(dir, 'private', 'outbox');
    const transport = createMailTransport(loadConfig({ MAIL_OUTBOX_DIR: outbox }));
    await transport.send(message, envelope('M000000000000003'));
    transport.close();
    // Whatever the umask: no group or other bits on the folder or the file.
    expect(statSync(outbox).mode & 0o777).toBe(0o700);
    expect(statSync(join(outbox, '20260115T170000Z-M000000000000003.eml')).mode & 0o777).toBe(0o600);
    // No temporary file is left beside it.
    expect(readdirSync(outbox)).toEqual(['20260115T170000Z-M000000000000003.eml']);
  });

  it('connects to SMTP_URL only to send, and sends through it once asked', async () => {
    const connections: number[] = [];
    const listener = createServer((socket) => {
      connections.push(Date.now());
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    try {
      const port = (listener.address() as AddressInfo).port;
      const idle = createMailTransport(loadConfig({ SMTP_URL: `smtp://127.0.0.1:${port}` }));
      expect(idle.kind).toBe('smtp');
      idle.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(connections).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    }

    const peer = await startSmtpPeer();
    try {
      const transport = createMailTransport(loadConfig({ SMTP_URL: peer.url }));
      await transport.send(message, envelope('M000000000000002'));
      const [received] = await peer.waitFor(1);
      expect(received!.to).toEqual(['ann@example.com']);
      expect(received!.raw).toContain('Subject: Hello');
      transport.close();
    } finally {
      await peer.close();
    }
  });
});
