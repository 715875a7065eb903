/**
 * The links between two workers' registration writers, over real Unix
 * sockets in a private directory (two links in one process here; the
 * cluster's own are in test/registration-owner.test.ts): what crosses a
 * link comes back as the owner's writer answered it, a failure as what the
 * sender's error mapping reads.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyError } from './protocol/error-classes.js';
import { ownerOf, startRegistrationLinks, type RegistrationLinks } from './registration-owner.js';
import { isRerunnable } from './store/database.js';
import type { GroupedRegistration, PersonRow, RegistrationWriter } from './store/person.repository.js';

/** A customer UID whose owner, of two workers, is `index`. */
function customerOwnedBy(index: number): string {
  for (let i = 0; ; i++) if (ownerOf(`customer-${i}`, 2) === index) return `customer-${i}`;
}

const registration = (uid: string): GroupedRegistration => ({
  guard: { conferenceUid: 'conf', customerUid: 'c', version: '42', did: '+1 555 0100' },
  person: {
    uid,
    conference_uid: 'conf',
    customer_uid: 'c',
    name: 'Zoë "Q" \n Line',
    role: 'PARTICIPANT',
    pin: '123456',
    created_at: 1,
  },
  event: { id: `e-${uid}`, type: 'person.registered', occurred_at: 1, data: '{"a":"b\\nc"}' },
  key: undefined,
});

const rowOf = (item: GroupedRegistration): PersonRow =>
  ({
    id: 7,
    ...item.person,
    email: '',
    notes: '',
    custom1: '',
    custom2: '',
    ani: '',
  }) as PersonRow;

describe('registration links between workers', () => {
  let dir: string;
  const started: RegistrationLinks[] = [];
  const start = async (index: number, local: RegistrationWriter) => {
    const links = await startRegistrationLinks(dir, index, 2, local);
    started.push(links);
    return links;
  };
  /** Until worker `index`'s link to the other worker is up (it is made at once, asynchronously). */
  const linked = async (links: RegistrationLinks, owner: string, seen: string[]) => {
    for (let i = 0; i < 200 && seen.length === 0; i++) {
      await links.write(owner, registration(`probe-${i}`));
      if (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  afterEach(async () => {
    await Promise.all(started.splice(0).map((links) => links.close()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sends another owner’s customers to it, answers its rows and "wrote nothing", and keeps its own customers', async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-test-'));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const atOwner: string[] = [];
    const atSender: string[] = [];
    await start(1, async (customer, item) => {
      atOwner.push(`${customer} ${item.person.uid}`);
      return item.person.uid.startsWith('nothing') ? undefined : rowOf(item);
    });
    const sender = await start(2, async (customer, item) => {
      atSender.push(`${customer} ${item.person.uid}`);
      return rowOf(item);
    });
    const theirs = customerOwnedBy(1);
    const mine = customerOwnedBy(2);
    await linked(sender, theirs, atOwner);
    atOwner.length = 0;
    atSender.length = 0;

    const sent = [registration('p1'), registration('nothing-2'), registration('p3')];
    const answers = await Promise.all(sent.map((item) => sender.write(theirs, item)));
    expect(answers).toEqual([rowOf(sent[0]!), undefined, rowOf(sent[2]!)]);
    expect(atOwner).toEqual([`${theirs} p1`, `${theirs} nothing-2`, `${theirs} p3`]);
    expect(await sender.write(mine, registration('p4'))).toEqual(rowOf(registration('p4')));
    expect(atSender).toEqual([`${mine} p4`]);
  });

  it('relays a failure as the sender’s own statement would have failed: the same -3, -4 and rerun', async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-test-'));
    const failures: Record<string, Error> = {
      lost: new Error('Connection terminated unexpectedly'),
      deadlock: Object.assign(new Error('deadlock detected'), { code: '40P01' }),
      reset: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      bug: new TypeError('x is not a function'),
    };
    const seen: string[] = [];
    await start(1, async (_customer, item) => {
      seen.push(item.person.uid);
      const failure = failures[item.person.uid];
      if (failure) throw failure;
      return rowOf(item);
    });
    const sender = await start(2, async (_customer, item) => rowOf(item));
    const theirs = customerOwnedBy(1);
    await linked(sender, theirs, seen);
    for (const [uid, original] of Object.entries(failures)) {
      const relayed = await sender.write(theirs, registration(uid)).then(
        () => undefined,
        (error: unknown) => error as Error & { code?: string },
      );
      expect(relayed).toBeInstanceOf(Error);
      expect([relayed!.name, relayed!.message, relayed!.code]).toEqual([
        original.name,
        original.message,
        (original as { code?: string }).code,
      ]);
      expect(classifyError(relayed)).toBe(classifyError(original));
      expect(isRerunnable(relayed)).toBe(isRerunnable(original));
      expect(relayed!.stack).not.toContain(original.stack!.split('\n')[1]!);
    }
  });

  it('answers what was out to an owner that shuts down before closing its links, then writes alone', async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-test-'));
    const seen: string[] = [];
    let release: () => void = () => undefined;
    const owner = await start(1, (_customer, item) => {
      seen.push(item.person.uid);
      if (item.person.uid.startsWith('probe')) return Promise.resolve(rowOf(item));
      // Its COMMIT comes back only after the shutdown began.
      return new Promise<PersonRow>((resolve) => (release = () => resolve(rowOf(item))));
    });
    const alone: string[] = [];
    const sender = await start(2, async (_customer, item) => {
      alone.push(item.person.uid);
      return rowOf(item);
    });
    const theirs = customerOwnedBy(1);
    await linked(sender, theirs, seen);
    const out = sender.write(theirs, registration('in-flight'));
    while (!seen.includes('in-flight')) await new Promise((resolve) => setTimeout(resolve, 5));
    started.splice(started.indexOf(owner), 1);
    let closed = false;
    const closing = owner.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The shutdown waits for the registration it was sent; one made meanwhile is written by the sender.
    expect(closed).toBe(false);
    expect(await sender.write(theirs, registration('meanwhile'))).toEqual(rowOf(registration('meanwhile')));
    expect(alone).toContain('meanwhile');
    release();
    expect(await out).toEqual(rowOf(registration('in-flight')));
    await closing;
    // It told the sender it was closing: the sender writes its registrations itself, none answers -3.
    expect(await sender.write(theirs, registration('later'))).toEqual(rowOf(registration('later')));
    expect(alone).toContain('later');
    expect(seen).not.toContain('later');
    expect(seen).not.toContain('meanwhile');
  });

  it('fails what was out to an owner whose process died as a lost connection (-3), then writes alone', async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-test-'));
    // The owner, worker 1, in a process of its own, whose writer never answers: killed before its COMMIT.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { startRegistrationLinks } = await import(${JSON.stringify(new URL('./registration-owner.ts', import.meta.url).href)});
         await startRegistrationLinks(${JSON.stringify(dir)}, 1, 2, (_customer, item) =>
           item.person.uid.startsWith('probe') ? Promise.resolve({ uid: item.person.uid }) : new Promise(() => {}));
         process.stdout.write('owning\\n');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
      const alone: string[] = [];
      const sender = await start(2, async (_customer, item) => {
        alone.push(item.person.uid);
        return rowOf(item);
      });
      const theirs = customerOwnedBy(1);
      // Until the link is up: a probe answered by the owner, not written here.
      for (let i = 0; i < 200; i++) {
        const answer = await sender.write(theirs, registration(`probe-${i}`));
        if (!alone.includes(`probe-${i}`) && answer) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      alone.length = 0;
      const out = sender.write(theirs, registration('in-flight')).then(
        () => undefined,
        (error: unknown) => error,
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      child.kill('SIGKILL');
      const failure = await out;
      expect(failure).toBeInstanceOf(Error);
      expect(classifyError(failure)).toBe('retryable');
      expect(alone).toEqual([]);
      // The owner is gone: the sender writes its registrations itself.
      expect(await sender.write(theirs, registration('later'))).toEqual(rowOf(registration('later')));
      expect(alone).toEqual(['later']);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
