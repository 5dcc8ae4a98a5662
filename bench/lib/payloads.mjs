// Deterministic, realistic payloads: JSON chat messages (a seeded generator, so every run and
// every process sends the same bytes) and ~16 KiB JSON documents made of them (a page of room
// history, as a chat client fetches on join). Plain 64 B text and 16 KiB binary payloads too.

/** mulberry32: a tiny seeded PRNG, good enough to pick words. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the a to and of I you it is in that for on this we with be have not are but so just at do ' +
  'can was what my if will me all get about they like your out up one there an know time think ' +
  'no how now good see from when should deploy build test merge review branch release fix bug ' +
  'server client socket message room channel latency today tomorrow meeting lunch coffee thanks ' +
  'great sounds looks ok yes maybe later issue ticket PR link docs benchmark numbers ratio memory'
).split(' ');
const EXTRA = ['👍', '🎉', '😂', '🙏', '你好', '谢谢', 'ça', 'déjà', ':)', '…'];
const NAMES = ['ada', 'grace', 'linus', 'margaret', 'ken', 'barbara', 'dennis', 'frances', 'alan'];
const ROOMS = ['#general', '#dev', '#random', '#ops', '#design'];

/** Zipf-like pick: common words far more often than rare ones, as in real text. */
function word(next) {
  const r = next();
  if (r < 0.03) return EXTRA[Math.floor(next() * EXTRA.length)];
  return WORDS[Math.floor(WORDS.length * next() ** 2.2)];
}

function sentence(next, min, max) {
  const n = min + Math.floor(next() * (max - min));
  const words = [];
  for (let i = 0; i < n; i++) words.push(word(next));
  return `${words.join(' ')}${next() < 0.2 ? '?' : ''}`;
}

/** One chat message as a server would push it: ids, user, room, text, timestamps, extras. */
function chatMessage(next, i) {
  const user = Math.floor(next() * NAMES.length);
  const message = {
    type: 'message',
    id: `msg_${(1_700_000_000_000 + i * 7919).toString(36)}${Math.floor(next() * 1e6).toString(36)}`,
    room: ROOMS[Math.floor(next() * ROOMS.length)],
    user: {
      id: 1000 + user,
      name: NAMES[user],
      avatar: `https://cdn.example.com/avatars/${1000 + user}.png`,
    },
    text: sentence(next, 3, next() < 0.1 ? 60 : 18),
    ts: 1_700_000_000_000 + i * 4_513,
  };
  if (next() < 0.25) message.replyTo = `msg_${Math.floor(next() * 1e9).toString(36)}`;
  if (next() < 0.3) message.reactions = [{ emoji: '👍', count: 1 + Math.floor(next() * 5) }];
  if (next() < 0.15) message.mentions = [NAMES[Math.floor(next() * NAMES.length)]];
  return message;
}

/** `count` chat messages as JSON strings (the sample for the compression-ratio table). */
export function chatMessages(count, seed = 42) {
  const next = rng(seed);
  return Array.from({ length: count }, (_, i) => JSON.stringify(chatMessage(next, i)));
}

/** A ~16 KiB JSON document: one page of a room's history (an array of chat messages). */
export function historyDocument(seed, size = 16 * 1024) {
  const next = rng(seed);
  const messages = [];
  let doc = '';
  for (let i = 0; doc.length < size; i++) {
    messages.push(chatMessage(next, seed * 1000 + i));
    doc = JSON.stringify({ type: 'history', room: '#general', cursor: `c${seed}`, messages });
  }
  return doc;
}

/** `count` distinct ~16 KiB history documents as Buffers (UTF-8). */
export function historyDocuments(count, size = 16 * 1024) {
  return Array.from({ length: count }, (_, i) => Buffer.from(historyDocument(i + 1, size)));
}

/** A 64-byte text message that looks like a small chat event. */
export function smallText(size = 64) {
  const base = '{"type":"typing","room":"#general","user":"ada","seq":0}';
  return Buffer.from(base.padEnd(size, ' ').slice(0, size));
}

/** Binary payload of `size` bytes (a fixed pseudo-random pattern). */
export function binary(size) {
  const next = rng(7);
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = Math.floor(next() * 256);
  return out;
}
