/**
 * What every scale-out test file needs (nodes, broker-faults, store-faults): a PostgreSQL
 * cluster started once for the file, and for each test a fresh database, a redis-server of its
 * own and chat nodes on both. Without PostgreSQL or redis-server the tests skip (and fail under
 * CI, where they must run).
 */
import { before, type TestContext } from 'node:test';
import {
  RedisServer,
  requireRedisServer,
} from '../../../../packages/wsx-redis/test/helpers/redis-server.js';
import { ChatNode } from './chat-node.js';
import type { RoomPlan } from './conversation.js';
import { PostgresServer, requirePostgres } from './postgres-server.js';

/** Six users on three nodes: a room of everyone, and two rooms across two or three nodes. */
export const SPREAD_ROOMS: readonly RoomPlan[] = [
  { name: 'everyone 大家', members: [0, 1, 2, 3, 4, 5] },
  { name: 'three nodes', members: [1, 2, 3] },
  { name: 'two nodes', members: [5, 0, 3] },
];

export interface ScaleOut {
  readonly postgres: PostgresServer;
  /** A database of its own for this test (a postgres:// URL). */
  readonly database: string;
  readonly redis: RedisServer;
}

/** Registers the file's `before`; `forTest(t)` gives a test its servers, or null (skipped). */
export function scaleOutServers(): { forTest(t: TestContext): Promise<ScaleOut | null> } {
  let postgres: PostgresServer | null = null;
  before(async (t) => {
    const context = t as never;
    if (requirePostgres(context) && requireRedisServer(context))
      postgres = await PostgresServer.start(context);
  });
  return {
    async forTest(t) {
      if (postgres === null) {
        t.skip('needs PostgreSQL and redis-server');
        return null;
      }
      const redis = await RedisServer.start(t);
      return { postgres, database: await postgres.database(), redis };
    },
  };
}

/** Starts chat nodes a, b, c, ... on the test's database; node i reaches Redis at `redisUrls[i]`. */
export function startNodes(
  t: TestContext,
  database: string,
  redisUrls: readonly string[],
  extra: readonly string[] = [],
): Promise<ChatNode[]> {
  return Promise.all(
    redisUrls.map((url, i) =>
      ChatNode.start(t, `node ${'abcdefgh'[i]}`, [
        ...['--store', database, '--broker', url, '--log-level', 'info'],
        ...extra,
      ]),
    ),
  );
}
