/**
 * wsx-redis: wsx topics across processes and hosts over Redis (pub/sub adapter), and presence
 * (who is in a topic, on every process), on the official `redis` client.
 */

export {
  decodeEnvelope,
  type Envelope,
  encodeEnvelope,
  MAX_TOPIC_BYTES,
  MalformedEnvelopeError,
} from './envelope.js';
export type {
  HealthOptions,
  RedisClusterConnectionOptions,
  RedisConnectionOptions,
} from './link.js';
export {
  type PresenceMember,
  RedisPresence,
  type RedisPresenceEvents,
  type RedisPresenceOptions,
} from './presence.js';
export {
  RedisPubSubAdapter,
  type RedisPubSubAdapterOptions,
  type RedisPubSubEvents,
  type RedisPubSubStats,
} from './pubsub-adapter.js';
