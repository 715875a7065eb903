/** Sorts errors from the database drivers: a busy or unreachable database is worth a retry (-3). */

const retryableSqlite = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_BUSY_SNAPSHOT']);
// serialization_failure, deadlock_detected, lock_not_available, admin_shutdown,
// crash_shutdown, cannot_connect_now, too_many_connections, connection exceptions,
// query_canceled (statement_timeout), database_dropped and invalid_catalog_name
// (the database is gone, e.g. mid-restore).
const retryablePostgres = new Set([
  '57P04',
  '3D000',
  '40001',
  '40P01',
  '55P03',
  '57014',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
const retryableSystem = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

export type ErrorKind = 'retryable' | 'unhandled';

export function classifyError(error: unknown): ErrorKind {
  if (error && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    if (
      typeof code === 'string' &&
      (retryableSqlite.has(code) || retryablePostgres.has(code) || retryableSystem.has(code))
    ) {
      return 'retryable';
    }
    const message = (error as { message?: unknown }).message;
    if (typeof message === 'string' && /Connection terminated|timeout exceeded when trying to connect/i.test(message)) {
      return 'retryable';
    }
  }
  return 'unhandled';
}

/** True when `error` is a unique-key violation (SQLite or PostgreSQL). */
export function isUniqueViolation(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
