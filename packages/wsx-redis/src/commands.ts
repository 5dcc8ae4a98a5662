/**
 * The Redis commands wsx-redis sends, as one interface over node-redis's client and cluster
 * client (which have them all, with types too generic to unite): what the adapter and presence
 * may use, and nothing else.
 */

/** A pub/sub listener in buffer mode: the message and its channel, as bytes. */
export type BufferListener = (message: Buffer, channel: Buffer) => void;

export interface RedisCommands {
  readonly isReady: boolean;
  publish(channel: string, message: Buffer): Promise<number>;
  sPublish(channel: string, message: Buffer): Promise<number>;
  subscribe(channel: string, listener: BufferListener, bufferMode: true): Promise<void>;
  unsubscribe(channel: string, listener: BufferListener, bufferMode: true): Promise<void>;
  sSubscribe(channel: string, listener: BufferListener, bufferMode: true): Promise<void>;
  sUnsubscribe(channel: string, listener: BufferListener, bufferMode: true): Promise<void>;
  zAdd(key: string, member: { score: number; value: string }): Promise<number>;
  zRem(key: string, member: string): Promise<number>;
  zRangeByScore(
    key: string,
    min: string,
    max: string,
    options: { LIMIT: { offset: number; count: number } },
  ): Promise<string[]>;
  zmScore(key: string, members: string[]): Promise<(number | null)[]>;
  hSet(key: string, field: string, value: string): Promise<number>;
  hDel(key: string, field: string): Promise<number>;
  hGetAll(key: string): Promise<Record<string, string>>;
  sAdd(key: string, members: string | string[]): Promise<number>;
  sRem(key: string, members: string | string[]): Promise<number>;
  sMembers(key: string): Promise<string[]>;
  del(key: string): Promise<number>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}
