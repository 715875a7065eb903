import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from '../errors.js';
import { checkCredentials, createCustomer } from './customers.js';
import { startTestServer, type Credentials, type TestServer } from '../../test/harness.js';

describe('checkCredentials', () => {
  let server: TestServer;
  let first: Credentials;
  let second: Credentials;

  beforeAll(async () => {
    server = await startTestServer();
    first = server.credentials;
    second = await server.addCustomer({ name: 'Second customer' });
  });
  afterAll(() => server.close());

  /** The customer's UID, or the refusal's class name. */
  const outcome = async (customer: string, key: string) => {
    const checked = await checkCredentials(server.services, customer, key);
    return checked instanceof Error ? checked.constructor.name : checked.uid;
  };

  it('tells each key from a wrong one of the same length, many at once on a cold cache', async () => {
    // A write drops the cached credentials: every check below first waits for its read, so their
    // digests are compared after one another's hashing, in turns other than the one that made them.
    await server.addCustomer({ name: 'Third customer' });
    const wrongKey = (key: string) => key.slice(0, -1) + (key.endsWith('0') ? '1' : '0');
    const checks = [
      [first.customer, first.key, first.customer],
      [first.customer, wrongKey(first.key), 'AuthError'],
      [second.customer, second.key, second.customer],
      [second.customer, first.key, 'AuthError'],
      [first.customer, second.key, 'AuthError'],
      [second.customer, wrongKey(second.key), 'AuthError'],
      ['NOSUCHCUSTOMER00', first.key, 'AuthError'],
    ] as const;
    const pending = [...checks, ...checks].map(([customer, key]) => checkCredentials(server.services, customer, key));
    // The first waits for its read (else this would test nothing about digests kept across turns).
    expect(pending[0]).toBeInstanceOf(Promise);
    const outcomes = (await Promise.all(pending)).map((checked) =>
      checked instanceof Error ? checked.constructor.name : checked.uid,
    );
    expect(outcomes).toEqual([...checks, ...checks].map(([, , expected]) => expected));
    // And once cached, the same answers in the same turn.
    expect(await Promise.all(checks.map(([customer, key]) => outcome(customer, key)))).toEqual(
      checks.map(([, , expected]) => expected),
    );
  });

  it('refuses a missing, empty or oversized key with AuthError, without reading', async () => {
    for (const key of [undefined, '', 'k'.repeat(129)]) {
      const checked = checkCredentials(server.services, first.customer, key);
      expect(checked).toBeInstanceOf(AuthError);
    }
  });
});

describe("a customer's name", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  const customerCount = async () =>
    Number(
      (
        await server.services.store.db
          .selectFrom('customers')
          .select((eb) => eb.fn.countAll().as('n'))
          .execute()
      )[0]!.n,
    );

  it('follows the one name rule: blank or holding a control or line break is a -2, and nothing is written', async () => {
    const before = await customerCount();
    for (const [name, message] of [
      ['   ', 'name must be 1 to 200 characters'],
      ['\u200b', 'name must not be blank'],
      ['Acme\r\nInc', 'name must not contain control characters or line breaks'],
      ['Acme\u001b[2J', 'name must not contain control characters or line breaks'],
    ] as const) {
      await expect(createCustomer(server.services, { name }), JSON.stringify(name)).rejects.toMatchObject({
        code: -2,
        message,
      });
    }
    expect(await customerCount()).toBe(before);
    expect((await createCustomer(server.services, { name: ' Acme Inc ' })).customer.name).toBe('Acme Inc');
  });
});
