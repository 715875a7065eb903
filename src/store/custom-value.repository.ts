/** SQL for custom values (key/value pairs on customers, conferences, persons, calls, callers). */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export type CustomObjectType = 'customer' | 'conference' | 'person' | 'call' | 'caller';

export interface CustomValue {
  key: string;
  value: string;
}

/** The custom values of one object, by key. */
export async function listCustomValues(
  db: Kysely<Database>,
  customerUid: string,
  objectType: CustomObjectType,
  objectUid: string,
): Promise<CustomValue[]> {
  return db
    .selectFrom('custom_values')
    .select(['key', 'value'])
    .where('customer_uid', '=', customerUid)
    .where('object_type', '=', objectType)
    .where('object_uid', '=', objectUid)
    .orderBy('key')
    .execute();
}

/**
 * The custom values of every person of a conference, in one query, grouped by
 * person UID. The persons are found first (an IN subquery), so each lookup
 * uses the custom_values key: a join let SQLite scan every person's custom
 * values in the database.
 */
export async function listPersonCustomValues(
  db: Kysely<Database>,
  customerUid: string,
  conferenceUid: string,
): Promise<Map<string, CustomValue[]>> {
  const rows = await db
    .selectFrom('custom_values')
    .select(['object_uid', 'key', 'value'])
    .where('customer_uid', '=', customerUid)
    .where('object_type', '=', 'person')
    .where('object_uid', 'in', (eb) =>
      eb
        .selectFrom('persons')
        .select('persons.uid')
        .where('persons.conference_uid', '=', conferenceUid)
        .where('persons.customer_uid', '=', customerUid),
    )
    .orderBy('key')
    .execute();
  const byPerson = new Map<string, CustomValue[]>();
  for (const row of rows) {
    let values = byPerson.get(row.object_uid);
    if (!values) byPerson.set(row.object_uid, (values = []));
    values.push({ key: row.key, value: row.value });
  }
  return byPerson;
}

export async function setCustomValue(
  db: Kysely<Database>,
  customerUid: string,
  objectType: CustomObjectType,
  objectUid: string,
  value: CustomValue,
): Promise<void> {
  await db
    .insertInto('custom_values')
    .values({ customer_uid: customerUid, object_type: objectType, object_uid: objectUid, ...value })
    .onConflict((oc) => oc.columns(['object_type', 'object_uid', 'key']).doUpdateSet({ value: value.value }))
    .execute();
}

export async function deleteCustomValue(
  db: Kysely<Database>,
  customerUid: string,
  objectType: CustomObjectType,
  objectUid: string,
  key: string,
): Promise<void> {
  await db
    .deleteFrom('custom_values')
    .where('customer_uid', '=', customerUid)
    .where('object_type', '=', objectType)
    .where('object_uid', '=', objectUid)
    .where('key', '=', key)
    .execute();
}
