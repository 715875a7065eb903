import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallContext } from '../context.js';
import { createReservationless } from './conferences.js';
import { authenticate } from './customers.js';
import { updateCustomValue } from './custom-values.js';
import { addPerson } from './persons.js';
import { createConference, startTestServer, type TestServer } from '../../test/harness.js';

// The length rules of a conference's name, a person's texts and a custom key and value are the domain's:
// whichever door a call comes in by (the API checks its parameters first, with the same limits; the site,
// the CLI and the bridge have no rules of their own), the domain refuses with -2 and writes nothing.
let server: TestServer;
let ctx: CallContext;
let conference: string;

beforeAll(async () => {
  server = await startTestServer();
  const { customer, key } = server.credentials;
  ctx = { services: server.services, customer: await authenticate(server.services, customer, key) };
  conference = await createConference(server);
});
afterAll(async () => {
  await server?.close();
});

async function count(table: 'conferences' | 'persons' | 'custom_values'): Promise<number> {
  const rows = await server.services.store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .execute();
  return Number(rows[0]!.n);
}

describe('the length rules live in the domain', () => {
  it("refuses a conference's empty or overlong name, and writes nothing", async () => {
    const before = await count('conferences');
    for (const name of ['', 'n'.repeat(201)]) {
      await expect(createReservationless(ctx, { name })).rejects.toMatchObject({
        code: -2,
        message: 'name must be 1 to 200 characters',
      });
    }
    expect(await count('conferences')).toBe(before);
    expect((await createReservationless(ctx, { name: 'n'.repeat(200) })).row.name).toHaveLength(200);
  });

  it("refuses a person's overlong name, notes or custom field, and writes nothing", async () => {
    const before = await count('persons');
    for (const [field, max] of [
      ['name', 200],
      ['notes', 4000],
      ['custom1', 1000],
      ['custom2', 1000],
    ] as const) {
      await expect(
        addPerson(ctx, { conference, role: 'PARTICIPANT', [field]: 'x'.repeat(max + 1) }),
      ).rejects.toMatchObject({ code: -2, message: `${field} must be at most ${max} characters` });
    }
    expect(await count('persons')).toBe(before);
  });

  it('refuses an empty or overlong custom key and an overlong value, and writes nothing', async () => {
    const before = await count('custom_values');
    const set = (customKey: string, customValue: string) =>
      updateCustomValue(ctx, { objectType: 'conference', objectUID: conference, customKey, customValue });
    await expect(set(' ', 'v')).rejects.toMatchObject({ code: -2, message: 'customKey is required' });
    await expect(set('k'.repeat(101), 'v')).rejects.toMatchObject({
      code: -2,
      message: 'customKey must be at most 100 characters',
    });
    await expect(set('k', 'v'.repeat(4001))).rejects.toMatchObject({
      code: -2,
      message: 'customValue must be at most 4000 characters',
    });
    expect(await count('custom_values')).toBe(before);
  });
});
