/** SQL for custom values (key/value pairs on customers, conferences, persons, calls, callers). */
import { fastAll, fastAllCached, prepared } from './prepared.js';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export type CustomObjectType = 'customer' | 'conference' | 'person' | 'call' | 'caller';

export interface CustomValue {
  key: string;
  value: string;
}

const customValuesOfObject = prepared(
  'custom_values_of_object',
  'select "key", "value" from custom_values where customer_uid = ? and object_type = ? and object_uid = ? order by "key"',
);
const customValuesOfPersons = prepared(
  'custom_values_of_persons',
  `select object_uid, "key", "value" from custom_values where customer_uid = ? and object_type = 'person'
   and object_uid in (select uid from persons where conference_uid = ? and customer_uid = ?) order by "key"`,
);

/** The custom values of one object, by key. */
export async function listCustomValues(
  db: Kysely<Database>,
  customerUid: string,
  objectType: CustomObjectType,
  objectUid: string,
): Promise<CustomValue[]> {
  const fast = fastAllCached<CustomValue>(db, customValuesOfObject, [customerUid, objectType, objectUid], [objectUid]);
  if (fast) return fast as Promise<CustomValue[]>;
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
  const fast = fastAll<{ object_uid: string; key: string; value: string }>(db, customValuesOfPersons, [
    customerUid,
    conferenceUid,
    customerUid,
  ]);
  if (fast) return groupByObject(await fast);
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
  return groupByObject(rows);
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

/** The custom values of every caller of a call, in one query, grouped by caller UID. */
export async function listCallerCustomValues(
  db: Kysely<Database>,
  customerUid: string,
  callUid: string,
): Promise<Map<string, CustomValue[]>> {
  const rows = await db
    .selectFrom('custom_values')
    .innerJoin('callers', 'callers.uid', 'custom_values.object_uid')
    .select(['custom_values.object_uid', 'custom_values.key', 'custom_values.value'])
    .where('custom_values.customer_uid', '=', customerUid)
    .where('custom_values.object_type', '=', 'caller')
    .where('callers.call_uid', '=', callUid)
    .orderBy('custom_values.key')
    .execute();
  return groupByObject(rows);
}

/** Rows of several objects' custom values → the values of each object, by its UID. */
function groupByObject(rows: readonly { object_uid: string; key: string; value: string }[]) {
  const byObject = new Map<string, CustomValue[]>();
  for (const row of rows) {
    let values = byObject.get(row.object_uid);
    if (!values) byObject.set(row.object_uid, (values = []));
    values.push({ key: row.key, value: row.value });
  }
  return byObject;
}
