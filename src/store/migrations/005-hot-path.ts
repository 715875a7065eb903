/**
 * The hot path's schema, on both databases:
 *
 * - `pin_claims` is a WITHOUT ROWID table on SQLite: the claim lives in its
 *   (did, pin) key, so a PIN claim writes one B-tree instead of the table
 *   plus its key index. (PostgreSQL has no rowid; unchanged there.)
 * - `pin_claims_conference`: releasing a conference's PINs (cancel) found
 *   them by scanning every claim.
 * - `persons_conference_uids` covers getConference's person-UID list
 *   (conference, customer, registration order, UID), so it reads the index
 *   alone instead of every person row.
 * - `persons_conference_email` is dropped: the only lookup by email compares
 *   `lower(email)`, which that index cannot serve.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') await rebuildPinClaimsWithoutRowid(db);
  await db.schema.createIndex('pin_claims_conference').on('pin_claims').column('conference_uid').execute();
  await db.schema
    .createIndex('persons_conference_uids')
    .on('persons')
    .columns(['conference_uid', 'customer_uid', 'id', 'uid'])
    .execute();
  await db.schema.dropIndex('persons_conference_email').execute();
}

/** SQLite cannot alter a table into WITHOUT ROWID: copy it, in one transaction so a crash leaves either table whole. */
async function rebuildPinClaimsWithoutRowid(db: Kysely<unknown>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`create table pin_claims_new (
      did text not null,
      pin text not null,
      person_uid text not null unique,
      conference_uid text not null,
      constraint pin_claims_pk primary key (did, pin)
    ) without rowid`.execute(trx);
    await sql`insert into pin_claims_new (did, pin, person_uid, conference_uid)
      select did, pin, person_uid, conference_uid from pin_claims`.execute(trx);
    await sql`drop table pin_claims`.execute(trx);
    await sql`alter table pin_claims_new rename to pin_claims`.execute(trx);
  });
}
