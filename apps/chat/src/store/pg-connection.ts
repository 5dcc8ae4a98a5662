/**
 * The connection pool to PostgreSQL, and what its errors mean. Numbers: `bigint` columns (ids,
 * sequence numbers, times in ms) come back as JS numbers, exact up to 2^53 (pg's default is a
 * string). Errors: a transient one (the server restarting, the connection lost, a deadlock)
 * may be retried; any other is the request's own (a constraint, a bug) and is not.
 */
import pg from 'pg';

/** The `types` of this pool only: every other user of `pg` in the process keeps the defaults. */
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8 && format !== 'binary')
      return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as typeof pg.types;

export interface PoolOptions {
  readonly url: string;
  /** Connections at most (default 10: the append writer and a few readers at a time). */
  readonly max?: number;
  /** Told about errors of idle connections (a server restart): the pool replaces them. */
  readonly onError: (error: Error) => void;
}

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    types: TYPES,
    // A server that does not answer is a failure to retry, not a wait without end.
    connectionTimeoutMillis: 5000,
    query_timeout: 15_000,
    keepAlive: true,
    application_name: 'wsx-chat',
  });
  // Without a listener, an idle connection closed by the server (a restart) would throw.
  pool.on('error', options.onError);
  return pool;
}

/**
 * SQLSTATE classes worth a retry: 08 connection exception, 40 transaction rollback (deadlock,
 * serialization), 53 insufficient resources, 57 operator intervention (shutdown, "the database
 * system is starting up"), 58 system error.
 */
const TRANSIENT_CLASSES = new Set(['08', '40', '53', '57', '58']);

/** Whether `error` says the server or the connection failed, rather than the statement. */
export function isTransient(error: unknown): boolean {
  // pg's own errors (connection terminated, query timeout) and Node's (ECONNREFUSED, ...) are
  // not the server's verdict on the statement: it may not have run, or its reply was lost.
  if (!(error instanceof pg.DatabaseError)) return error instanceof Error;
  return TRANSIENT_CLASSES.has((error.code ?? '').slice(0, 2));
}

/**
 * Runs `work` in a transaction on one connection of the pool: committed if it resolves, rolled
 * back if it throws. A connection whose rollback failed is broken, and is closed, not reused.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollback: Error) => {
      broken = rollback;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
