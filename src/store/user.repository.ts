/** SQL for the administration site's users, their sessions and their one-time password links. */
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database, UserSessionTable, UserTable, UserTokenTable } from './schema.js';

export type UserRow = Selectable<UserTable>;
export type NewUser = Insertable<UserTable>;
export type UserSessionRow = Selectable<UserSessionTable>;
export type UserTokenRow = Selectable<UserTokenTable>;

export async function insertUser(db: Kysely<Database>, row: NewUser): Promise<UserRow> {
  return db.insertInto('users').values(row).returningAll().executeTakeFirstOrThrow();
}

/** A user by sign-in address (already lowercased), across customers. */
export async function findUserByEmail(db: Kysely<Database>, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function findUser(db: Kysely<Database>, uid: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('uid', '=', uid).executeTakeFirst();
}

/** The users of one customer, by address. */
export async function listUsers(db: Kysely<Database>, customerUid: string): Promise<UserRow[]> {
  return db.selectFrom('users').selectAll().where('customer_uid', '=', customerUid).orderBy('email').execute();
}

export async function setPasswordHash(db: Kysely<Database>, uid: string, hash: string, at: number): Promise<void> {
  await db.updateTable('users').set({ password_hash: hash, password_changed_at: at }).where('uid', '=', uid).execute();
}

/** Deletes a user of a customer (sessions and links go with it); false when there was none. */
export async function deleteUser(db: Kysely<Database>, customerUid: string, uid: string): Promise<boolean> {
  await db.deleteFrom('user_sessions').where('user_uid', '=', uid).where('customer_uid', '=', customerUid).execute();
  await db.deleteFrom('user_tokens').where('user_uid', '=', uid).execute();
  const result = await db
    .deleteFrom('users')
    .where('uid', '=', uid)
    .where('customer_uid', '=', customerUid)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function insertSession(db: Kysely<Database>, row: Insertable<UserSessionTable>): Promise<void> {
  await db.insertInto('user_sessions').values(row).execute();
}

/** A live (not revoked) session with its user, by token hash. Expiry is the caller's to judge. */
export async function findSession(
  db: Kysely<Database>,
  tokenHash: string,
): Promise<{ session: UserSessionRow; user: UserRow } | undefined> {
  const row = await db
    .selectFrom('user_sessions')
    .innerJoin('users', 'users.uid', 'user_sessions.user_uid')
    .select([
      'user_sessions.token_hash',
      'user_sessions.user_uid',
      'user_sessions.customer_uid',
      'user_sessions.created_at as session_created_at',
      'user_sessions.last_seen_at',
      'user_sessions.expires_at',
      'user_sessions.revoked_at',
      'users.uid',
      'users.email',
      'users.role',
      'users.password_hash',
      'users.created_at',
      'users.password_changed_at',
    ])
    .where('user_sessions.token_hash', '=', tokenHash)
    .where('user_sessions.revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    session: {
      token_hash: row.token_hash,
      user_uid: row.user_uid,
      customer_uid: row.customer_uid,
      created_at: row.session_created_at,
      last_seen_at: row.last_seen_at,
      expires_at: row.expires_at,
      revoked_at: row.revoked_at,
    },
    user: {
      uid: row.uid,
      customer_uid: row.customer_uid,
      email: row.email,
      role: row.role,
      password_hash: row.password_hash,
      created_at: row.created_at,
      password_changed_at: row.password_changed_at,
    },
  };
}

export async function touchSession(db: Kysely<Database>, tokenHash: string, at: number): Promise<void> {
  await db.updateTable('user_sessions').set({ last_seen_at: at }).where('token_hash', '=', tokenHash).execute();
}

export async function revokeSession(db: Kysely<Database>, tokenHash: string, at: number): Promise<void> {
  await db
    .updateTable('user_sessions')
    .set({ revoked_at: at })
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Revokes every live session of a user; returns how many. */
export async function revokeUserSessions(db: Kysely<Database>, userUid: string, at: number): Promise<number> {
  const result = await db
    .updateTable('user_sessions')
    .set({ revoked_at: at })
    .where('user_uid', '=', userUid)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Drops sessions that ended (expired or revoked) before `before`; returns how many. */
export async function pruneSessions(db: Kysely<Database>, before: number): Promise<number> {
  const result = await db
    .deleteFrom('user_sessions')
    .where((eb) => eb.or([eb('expires_at', '<', before), eb('revoked_at', '<', before)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function insertUserToken(db: Kysely<Database>, row: Insertable<UserTokenTable>): Promise<void> {
  await db.insertInto('user_tokens').values(row).execute();
}

/** Marks every unused link of a user used (its password was just set): none of them works any more. */
export async function useUpLinksOf(db: Kysely<Database>, userUid: string, at: number): Promise<number> {
  const result = await db
    .updateTable('user_tokens')
    .set({ used_at: at })
    .where('user_uid', '=', userUid)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Marks an unused, unexpired link used and returns it; undefined when it cannot be used (any more). */
export async function consumeUserToken(
  db: Kysely<Database>,
  tokenHash: string,
  at: number,
): Promise<UserTokenRow | undefined> {
  return db
    .updateTable('user_tokens')
    .set({ used_at: at })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', at)
    .returningAll()
    .executeTakeFirst();
}

/** An unused, unexpired link, without using it (the page that shows the form). */
export async function findUsableUserToken(
  db: Kysely<Database>,
  tokenHash: string,
  at: number,
): Promise<UserTokenRow | undefined> {
  return db
    .selectFrom('user_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', at)
    .executeTakeFirst();
}
