/**
 * Rendering the chat page's lists from the state: status, rooms with unread badges, the
 * conversation (stored messages, then the pending ones), typing, and who is online. Text only
 * (textContent, through dom.ts): markup in a message is shown as the characters it is.
 */
import type { ChatActions, ChatPage } from './chat-page.js';
import { fillWith, h } from './dom.js';
import { fill, type Words } from './i18n.js';
import type { ChatMessage, ChatState, Pending, RoomState } from './state.js';

export function renderChat(page: ChatPage, w: Words, state: ChatState, a: ChatActions): void {
  page.status.textContent =
    state.status === 'connected'
      ? w.connected
      : state.status === 'connecting'
        ? w.connecting
        : w.reconnecting;
  page.status.dataset.status = state.status;
  renderRoomLists(page, w, state, a);
  const room = state.current === null ? undefined : state.rooms.get(state.current);
  page.title.textContent = room === undefined ? w.noRoom : roomName(room);
  page.leave.hidden = room === undefined || room.summary.kind === 'dm';
  page.leave.dataset.room = String(room?.summary.id ?? 0);
  page.composer.disabled = room === undefined;
  renderMessages(page, w, state, room);
  renderTyping(page, w, room);
  fillWith(
    page.people,
    ...(room?.members ?? []).map((user) =>
      h(
        'li',
        { className: room!.online.has(user.id) ? 'online' : 'offline' },
        user.name,
        h(
          'span',
          { className: 'visually-hidden' },
          room!.online.has(user.id) ? ` (${w.online})` : '',
        ),
      ),
    ),
  );
}

function roomName(room: RoomState): string {
  return room.summary.kind === 'dm'
    ? (room.summary.peer?.name ?? room.summary.name)
    : room.summary.name;
}

function renderRoomLists(page: ChatPage, w: Words, state: ChatState, a: ChatActions): void {
  const item = (room: RoomState) => roomItem(room, room.summary.id === state.current, w, a);
  const rooms = [...state.rooms.values()];
  const publicRooms = rooms.filter((r) => r.summary.kind === 'public');
  fillWith(page.joined, ...publicRooms.filter((r) => r.summary.joined).map(item));
  fillWith(page.direct, ...rooms.filter((r) => r.summary.kind === 'dm').map(item));
  fillWith(page.others, ...publicRooms.filter((r) => !r.summary.joined).map(item));
}

/** A room the user is in (a button that opens it, with its unread count), or one to join. */
function roomItem(room: RoomState, current: boolean, w: Words, a: ChatActions): HTMLElement {
  const id = room.summary.id;
  if (!room.summary.joined) {
    const join = h('button', { type: 'button', className: 'small' }, w.join);
    join.addEventListener('click', () => a.join(id));
    return h('li', {}, h('span', { className: 'name' }, roomName(room)), join);
  }
  const attrs = {
    type: 'button',
    className: 'room-button',
    'aria-current': current ? 'page' : undefined,
  };
  const open = h(
    'button',
    attrs,
    h('span', { className: 'name' }, roomName(room)),
    unreadBadge(room, w),
  );
  open.addEventListener('click', () => a.open(id));
  return h('li', {}, open);
}

/** The count is shown as a badge and read out as words ("3 unread"). */
function unreadBadge(room: RoomState, w: Words): HTMLElement | null {
  if (room.unread === 0) return null;
  const count = room.unread > 999 ? '999+' : String(room.unread);
  return h(
    'span',
    {},
    h('span', { className: 'badge', 'aria-hidden': 'true' }, count),
    h('span', { className: 'visually-hidden' }, `, ${fill(w.unread, { n: count })}`),
  );
}

/**
 * The conversation: stored messages by seq, then the user's pending ones. Keeps the reader's
 * place: at the bottom it follows new messages; when older ones arrive above, it stays put.
 */
function renderMessages(
  page: ChatPage,
  w: Words,
  state: ChatState,
  room: RoomState | undefined,
): void {
  const log = page.log;
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  const fromBottom = log.scrollHeight - log.scrollTop;
  const firstBefore = page.list.firstElementChild?.getAttribute('data-seq');
  page.older.hidden = room === undefined || !room.hasMore;
  if (room === undefined) {
    fillWith(page.list);
    return;
  }
  const me = state.user?.id;
  const stored = state.sorted(room.summary.id).map((m) => messageItem(m, m.from.id === me));
  const pending = state.pending
    .filter((p) => p.room === room.summary.id)
    .map((p) => pendingItem(p, state.user?.name ?? '', w));
  fillWith(page.list, ...stored, ...pending);
  const firstAfter = page.list.firstElementChild?.getAttribute('data-seq');
  if (firstBefore !== undefined && firstBefore !== firstAfter && !atBottom)
    log.scrollTop = log.scrollHeight - fromBottom;
  else if (atBottom || firstBefore === undefined) log.scrollTop = log.scrollHeight;
}

function messageItem(m: ChatMessage, mine: boolean): HTMLElement {
  const at = new Date(m.ts);
  return h(
    'li',
    { className: mine ? 'msg mine' : 'msg', 'data-seq': m.seq },
    h('span', { className: 'from' }, m.from.name),
    h(
      'time',
      { datetime: at.toISOString() },
      at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
    ),
    h('p', { className: 'text' }, m.text),
  );
}

function pendingItem(p: Pending, name: string, w: Words): HTMLElement {
  return h(
    'li',
    { className: 'msg mine pending', 'data-pending': p.failed ? 'failed' : 'pending' },
    h('span', { className: 'from' }, name),
    h('span', { className: 'state' }, p.failed ? w.failed : w.pending),
    h('p', { className: 'text' }, p.text),
  );
}

function renderTyping(page: ChatPage, w: Words, room: RoomState | undefined): void {
  const now = Date.now();
  const names = [...(room?.typing.values() ?? [])].filter((t) => t.until > now).map((t) => t.name);
  page.typing.textContent = names.length === 0 ? '' : fill(w.typing, { names: names.join(', ') });
}
