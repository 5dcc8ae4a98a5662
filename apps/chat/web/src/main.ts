/** The web UI's entry: sign in, then the chat page driven by the connection's events. */
import * as api from './api.js';
import { buildChatPage, type ChatActions, type ChatPage } from './chat-page.js';
import { renderChat } from './chat-render.js';
import { ChatError, Connection, type Frame } from './connection.js';
import { initialLang, type Lang, saveLang, words } from './i18n.js';
import { renderSignIn } from './sign-in-view.js';
import { type ChatMessage, ChatState, type Pending, type RoomSummary } from './state.js';

const root = document.getElementById('app')!;
let lang: Lang = initialLang();
const state = new ChatState();
let page: ChatPage | null = null;
let connection: Connection | null = null;
let lastTyping = 0;
let loadingOlder = false;
let frame = 0;

function setLang(next: Lang): void {
  lang = next;
  saveLang(lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = words(lang).title;
}

function render(): void {
  if (frame !== 0) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    if (page !== null) renderChat(page, words(lang), state, actions);
    savePending();
  });
}

function showSignIn(error = ''): void {
  renderSignIn(
    root,
    words(lang),
    {
      submit: (kind, name, password) => {
        const call = kind === 'login' ? api.signIn(name, password) : api.register(name, password);
        call.then(startChat, (e: Error) => showSignIn(e.message));
      },
      switchLang: () => {
        setLang(lang === 'en' ? 'zh' : 'en');
        showSignIn(error);
      },
    },
    error,
  );
}

/** Messages not yet acknowledged outlive a reload or a closed tab (this browser only). */
const pendingKey = () => `wsx-chat-pending-${state.user?.id}`;

function savePending(): void {
  if (state.user === null) return;
  if (state.pending.length === 0) localStorage.removeItem(pendingKey());
  else localStorage.setItem(pendingKey(), JSON.stringify(state.pending));
}

function restorePending(): void {
  try {
    const saved = JSON.parse(localStorage.getItem(pendingKey()) ?? '[]') as Pending[];
    for (const p of saved)
      if (typeof p.clientMsgId === 'string' && typeof p.text === 'string') state.pending.push(p);
  } catch {
    localStorage.removeItem(pendingKey());
  }
}

function startChat(user: api.User): void {
  state.user = user;
  restorePending();
  buildPage();
  state.onChange(render);
  connection = new Connection(state, onEvent);
  connection.start();
}

function buildPage(): void {
  const text = page?.composer.value ?? '';
  page = buildChatPage(root, words(lang), state.user!, actions);
  page.composer.value = text;
  renderChat(page, words(lang), state, actions);
}

function request(type: string, fields: Record<string, unknown>): Promise<Frame> {
  if (connection === null) return Promise.reject(new ChatError('offline', 'not connected'));
  return connection.request(type, fields);
}

function report(error: unknown): void {
  if (page !== null && error instanceof Error) page.typing.textContent = error.message;
}

const actions: ChatActions = {
  open(room) {
    state.current = room;
    document.body.classList.remove('show-rooms');
    render();
    void loadRoom(room);
  },
  join: (room) =>
    request('join', { room }).then((reply) => {
      state.upsertRoom(reply.room as RoomSummary);
      actions.open(room);
    }, report),
  leave: (room) =>
    request('leave', { room }).then(() => {
      if (state.current === room) state.current = null;
    }, report),
  create: (name) =>
    request('create', { name }).then((reply) => {
      actions.open(state.upsertRoom(reply.room as RoomSummary).summary.id);
    }, report),
  direct: (name) =>
    request('dm', { user: name }).then((reply) => {
      actions.open(state.upsertRoom(reply.room as RoomSummary).summary.id);
    }, report),
  send(text) {
    if (state.current === null) return;
    connection?.sendMessage(state.queue(state.current, text));
    render();
  },
  typing() {
    const now = Date.now();
    if (state.current === null || now - lastTyping < 3000) return;
    lastTyping = now;
    request('typing', { room: state.current }).catch(() => {});
  },
  loadOlder() {
    const room = state.current;
    if (room === null || loadingOlder) return;
    loadingOlder = true;
    const first = state.sorted(room)[0]?.seq ?? null;
    request('history', { room, before: first })
      .then((reply) => addHistory(room, reply), report)
      .finally(() => {
        loadingOlder = false;
      });
  },
  signOut() {
    connection?.stop();
    void api.signOut().then(() => location.reload());
  },
  switchLang() {
    setLang(lang === 'en' ? 'zh' : 'en');
    buildPage();
  },
};

async function loadRoom(room: number): Promise<void> {
  const held = state.rooms.get(room);
  if (held === undefined) return;
  try {
    if (!held.loaded) addHistory(room, await request('history', { room }));
    const members = await request('members', { room });
    held.members = members.members as api.User[];
    held.online.clear();
    for (const id of members.online as number[]) held.online.add(id);
    markRead(room);
    render();
  } catch (error) {
    report(error);
  }
}

function addHistory(room: number, reply: Frame): void {
  const held = state.rooms.get(room);
  if (held === undefined) return;
  state.addMessages(room, reply.messages as ChatMessage[]);
  held.loaded = true;
  held.hasMore = reply.hasMore as boolean;
  render();
}

function markRead(room: number): void {
  const held = state.rooms.get(room);
  if (held === undefined || document.hidden || state.current !== room) return;
  held.unread = 0;
  if (held.top > held.summary.readSeq) {
    held.summary = { ...held.summary, readSeq: held.top };
    request('read', { room, seq: held.top }).catch(() => {});
  }
}

/** Events from the server (and the connection's own `welcome` and ack copies). */
function onEvent(f: Frame): void {
  const handler = handlers[f.type];
  if (handler !== undefined) handler(f);
  render();
}

const handlers: Record<string, (f: Frame) => void> = {
  welcome(f) {
    const rooms = f.rooms as RoomSummary[];
    const ids = new Set(rooms.map((r) => r.id));
    // The welcome lists the rooms the user is in; the others come with the 'rooms' reply.
    for (const room of state.rooms.values())
      if (!ids.has(room.summary.id)) room.summary = { ...room.summary, joined: false };
    for (const room of rooms) state.upsertRoom(room);
    request('rooms', {}).then((reply) => {
      for (const room of reply.rooms as RoomSummary[]) state.upsertRoom(room);
      render();
    }, report);
    if (state.current === null) state.current = rooms.find((r) => r.joined)?.id ?? null;
    if (state.current !== null) void loadRoom(state.current);
  },
  messages(f) {
    const room = f.room as number;
    const added = state.addMessages(room, f.messages as ChatMessage[], f.reset === true);
    countUnread(room, added);
  },
  message(f) {
    const message = f as unknown as ChatMessage;
    const held = state.rooms.get(message.room);
    const added = state.addMessages(message.room, [message]);
    countUnread(message.room, added);
    // A gap (a message we should have had did not come): ask for what is missing.
    if (held !== undefined && message.seq > held.top + 1)
      request('history', { room: message.room, after: held.top }).then(
        (r) => addHistory(message.room, r),
        () => {},
      );
  },
  presence(f) {
    const room = state.rooms.get(f.room as number);
    const user = f.user as api.User;
    if (room === undefined) return;
    if (f.online === true) room.online.add(user.id);
    else room.online.delete(user.id);
    if (f.online === true && !room.members.some((m) => m.id === user.id)) room.members.push(user);
  },
  member(f) {
    const room = state.rooms.get(f.room as number);
    if (room === undefined) return;
    room.summary = {
      ...room.summary,
      members: room.summary.members + (f.joined === true ? 1 : -1),
    };
  },
  typing(f) {
    const user = f.user as api.User;
    if (user.id === state.user?.id) return;
    state.rooms
      .get(f.room as number)
      ?.typing.set(user.id, { name: user.name, until: Date.now() + 4000 });
    setTimeout(render, 4100);
  },
  read(f) {
    const room = state.rooms.get(f.room as number);
    if (room !== undefined && (f.seq as number) >= room.top) room.unread = 0;
  },
  room(f) {
    state.upsertRoom(f.room as RoomSummary);
  },
  'room.left'(f) {
    const room = state.rooms.get(f.room as number);
    if (room !== undefined) room.summary = { ...room.summary, joined: false };
    if (state.current === f.room) state.current = null;
  },
  'room.created'(f) {
    const { id, name } = f.room as { id: number; name: string };
    if (!state.rooms.has(id))
      state.upsertRoom({
        id,
        name,
        kind: 'public',
        lastSeq: 0,
        members: 1,
        joined: false,
        readSeq: 0,
        unread: 0,
      });
  },
};

function countUnread(room: number, added: ChatMessage[]): void {
  const held = state.rooms.get(room);
  if (held === undefined) return;
  if (state.current === room && !document.hidden) {
    markRead(room);
    return;
  }
  held.unread += added.filter(
    (m) => m.from.id !== state.user?.id && m.seq > held.summary.readSeq,
  ).length;
}

document.addEventListener('visibilitychange', () => {
  if (state.current !== null) markRead(state.current);
  render();
});

setLang(lang);
api.me().then(
  (user) => (user === null ? showSignIn() : startChat(user)),
  () => showSignIn(),
);
