/**
 * How presence is kept in Redis: the keys, and the few commands on them. Every command touches
 * one key, so it works the same on a Redis Cluster (no multi-key command, no cross-slot script).
 *
 * - `{prefix}presence:processes`: a sorted set of process ids, scored by the time (ms since the
 *   epoch) until which each process is alive. A heartbeat pushes its score forward; a process
 *   whose score has passed is dead, whatever its entries still say.
 * - `{prefix}presence:topic:{topic}`: a hash per topic, field `{processId}:{member}`, value the
 *   member's data: who is in the topic, through which process.
 * - `{prefix}presence:process:{processId}`: a set of the topics where a process has entries, so
 *   that whoever finds it dead can remove them.
 */

import type { RedisCommands } from './commands.js';

/** Removes one process's fields from a topic's hash, then writes the given ones (a resync). */
const REPLACE_PROCESS_FIELDS = `
local prefix = ARGV[1]
local removed = 0
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(field, 1, #prefix) == prefix then
    redis.call('HDEL', KEYS[1], field)
    removed = removed + 1
  end
end
for i = 2, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
return removed
`;

/** One member of a topic as stored: who, with what data, through which process. */
export interface StoredMember {
  readonly processId: string;
  readonly member: string;
  readonly data: string;
}

export class PresenceStore {
  readonly #client: RedisCommands;
  readonly #prefix: string;

  constructor(client: RedisCommands, prefix: string) {
    this.#client = client;
    this.#prefix = `${prefix}presence:`;
  }

  get processesKey(): string {
    return `${this.#prefix}processes`;
  }

  topicKey(topic: string): string {
    return `${this.#prefix}topic:${topic}`;
  }

  processKey(processId: string): string {
    return `${this.#prefix}process:${processId}`;
  }

  /** Extends a process's life until `aliveUntil`; true if Redis did not know it (any more). */
  async heartbeat(processId: string, aliveUntil: number): Promise<boolean> {
    const added = await this.#client.zAdd(this.processesKey, {
      score: aliveUntil,
      value: processId,
    });
    return added === 1;
  }

  async add(processId: string, topic: string, member: string, data: string): Promise<void> {
    await Promise.all([
      this.#client.hSet(this.topicKey(topic), `${processId}:${member}`, data),
      this.#client.sAdd(this.processKey(processId), topic),
    ]);
  }

  async remove(processId: string, topic: string, member: string, lastInTopic: boolean) {
    await Promise.all([
      this.#client.hDel(this.topicKey(topic), `${processId}:${member}`),
      lastInTopic ? this.#client.sRem(this.processKey(processId), topic) : null,
    ]);
  }

  /** Makes Redis hold exactly `local` (topic -> member -> data) for this process. */
  async replaceAll(processId: string, local: Map<string, Map<string, string>>): Promise<void> {
    const stored = await this.#client.sMembers(this.processKey(processId));
    const topics = new Set([...stored, ...local.keys()]);
    await Promise.all(
      [...topics].map((topic) => {
        const args = [`${processId}:`];
        for (const [member, data] of local.get(topic) ?? [])
          args.push(`${processId}:${member}`, data);
        return this.#client.eval(REPLACE_PROCESS_FIELDS, {
          keys: [this.topicKey(topic)],
          arguments: args,
        });
      }),
    );
    const gone = stored.filter((topic) => !local.has(topic));
    if (gone.length > 0) await this.#client.sRem(this.processKey(processId), gone);
    if (local.size > 0) await this.#client.sAdd(this.processKey(processId), [...local.keys()]);
  }

  /** Removes everything a process left, then the process itself. */
  async removeProcess(processId: string): Promise<void> {
    await this.replaceAll(processId, new Map());
    await this.#client.del(this.processKey(processId));
    await this.#client.zRem(this.processesKey, processId);
  }

  /** Processes whose life ended before `now`, at most `limit`. */
  async deadProcesses(now: number, limit: number): Promise<string[]> {
    return this.#client.zRangeByScore(this.processesKey, '-inf', `(${now}`, {
      LIMIT: { offset: 0, count: limit },
    });
  }

  /** Every entry of a topic whose process is alive at `now`. */
  async members(topic: string, now: number): Promise<StoredMember[]> {
    const fields = await this.#client.hGetAll(this.topicKey(topic));
    const entries: StoredMember[] = [];
    for (const [field, data] of Object.entries(fields)) {
      const colon = field.indexOf(':');
      if (colon < 0) continue;
      entries.push({ processId: field.slice(0, colon), member: field.slice(colon + 1), data });
    }
    const ids = [...new Set(entries.map((e) => e.processId))];
    if (ids.length === 0) return [];
    const scores = await this.#client.zmScore(this.processesKey, ids);
    const alive = new Set(ids.filter((_, i) => (scores[i] ?? Number.NEGATIVE_INFINITY) >= now));
    return entries.filter((e) => alive.has(e.processId));
  }
}
