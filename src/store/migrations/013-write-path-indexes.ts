/**
 * Two indexes fewer for every registration to write, on both databases:
 *
 * - `pin_claims_conference` (conference): a conference's claims, for
 *   releasing them on cancel. Its entries carry the claim's random key
 *   (did, pin), so each insert landed on a random leaf of the conference's
 *   run: about a quarter of the WAL pages of an SQLite write group of
 *   addPerson calls (12 of the writer's ~95 µs a call). A claim always
 *   belongs to a person of its conference (claimed with the person, moved
 *   with the person that takes it over, deleted with the person), so cancel
 *   now finds them through the conference's persons, by
 *   `persons_conference_uids` and the claims' unique `person_uid`.
 * - `persons_conference` (conference, created_at): every query of a
 *   conference's persons constrains the conference and the customer, which
 *   `persons_conference_uids` (conference, customer, id, uid) serves; the
 *   one ordered by creation time (persons without a claim, on reopen) sorts
 *   a conference's rows.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('pin_claims_conference').ifExists().execute();
  await db.schema.dropIndex('persons_conference').ifExists().execute();
}
