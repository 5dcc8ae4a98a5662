/**
 * Rendering: the sign-in page and the chat page, from the state. The chat page's frame is built
 * once (so the composer keeps its text and focus); its lists are re-rendered on each change.
 */
import type { User } from './api.js';
import { fillWith, h } from './dom.js';
import { fill, type Words } from './i18n.js';
import type { ChatState, RoomState } from './state.js';

export interface SignInActions {
  submit(kind: 'login' | 'register', name: string, password: string): void;
  switchLang(): void;
}

export function renderSignIn(
  root: HTMLElement,
  w: Words,
  actions: SignInActions,
  error: string,
): void {
  const name = h('input', {
    id: 'name',
    name: 'username',
    autocomplete: 'username',
    required: true,
    maxlength: 32,
  });
  const password = h('input', {
    id: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    minlength: 8,
  });
  const submit = (kind: 'login' | 'register') => (event: Event) => {
    event.preventDefault();
    const form = (event.target as HTMLElement).closest('form')!;
    if (form.reportValidity()) actions.submit(kind, name.value, password.value);
  };
  fillWith(
    root,
    h(
      'main',
      { className: 'signin' },
      h(
        'button',
        {
          className: 'lang',
          type: 'button',
          'aria-label': w.languageLabel,
          onclick: () => actions.switchLang(),
        },
        w.language,
      ),
      h('h1', {}, w.signInTitle),
      h(
        'form',
        { onsubmit: submit('login') },
        h('label', { for: 'name' }, w.userName),
        name,
        h('label', { for: 'password' }, w.password),
        password,
        h('p', { className: 'error', role: 'alert' }, error),
        h(
          'div',
          { className: 'buttons' },
          h('button', { type: 'submit' }, w.signIn),
          h(
            'button',
            { type: 'button', className: 'secondary', onclick: submit('register') },
            w.register,
          ),
        ),
      ),
    ),
  );
  name.focus();
}

export interface ChatActions {
  open(room: number): void;
  join(room: number): void;
  leave(room: number): void;
  create(name: string): void;
  direct(name: string): void;
  send(text: string): void;
  typing(): void;
  loadOlder(): void;
  signOut(): void;
  switchLang(): void;
}

/** The chat page's parts that are re-rendered. */
export interface ChatPage {
  readonly status: HTMLElement;
  readonly joined: HTMLElement;
  readonly direct: HTMLElement;
  readonly others: HTMLElement;
  readonly title: HTMLElement;
  readonly leave: HTMLButtonElement;
  readonly log: HTMLElement;
  readonly list: HTMLElement;
  readonly older: HTMLButtonElement;
  readonly typing: HTMLElement;
  readonly people: HTMLElement;
  readonly composer: HTMLTextAreaElement;
}

export function buildChatPage(root: HTMLElement, w: Words, user: User, a: ChatActions): ChatPage {
  const composer = h('textarea', {
    id: 'composer',
    rows: 2,
    'aria-describedby': 'composer-hint',
    enterkeyhint: 'send',
  });
  composer.addEventListener('keydown', (event) => {
    // Enter sends; Shift+Enter is a newline; Enter that ends an IME composition (Chinese) does not send.
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229)
      return;
    event.preventDefault();
    sendFrom(composer, a);
  });
  composer.addEventListener('input', () => a.typing());
  const page: ChatPage = {
    status: h('span', { className: 'status', role: 'status' }),
    joined: h('ul', { className: 'room-list', 'aria-labelledby': 'rooms-heading' }),
    direct: h('ul', { className: 'room-list', 'aria-labelledby': 'direct-heading' }),
    others: h('ul', { className: 'room-list', 'aria-labelledby': 'others-heading' }),
    title: h('h2', { id: 'room-title' }),
    leave: h('button', { type: 'button', className: 'secondary small' }, w.leave),
    log: h('section', {
      className: 'messages',
      role: 'log',
      'aria-labelledby': 'room-title',
      tabindex: 0,
    }),
    list: h('ol', { className: 'message-list' }),
    older: h(
      'button',
      { type: 'button', className: 'secondary small older', onclick: () => a.loadOlder() },
      w.loadOlder,
    ),
    typing: h('p', { className: 'typing', 'aria-live': 'polite' }),
    people: h('ul', { className: 'people-list', 'aria-labelledby': 'people-heading' }),
    composer,
  };
  page.log.append(page.older, page.list);
  // Infinite scroll: near the top, the older page loads by itself (the button stays, for
  // keyboards and screen readers).
  page.log.addEventListener(
    'scroll',
    () => {
      if (page.log.scrollTop < 80 && !page.older.hidden) a.loadOlder();
    },
    { passive: true },
  );
  const toggle = (panel: string) => (event: Event) => {
    const open = document.body.classList.toggle(panel);
    (event.currentTarget as HTMLElement).setAttribute('aria-expanded', String(open));
  };
  fillWith(
    root,
    h(
      'header',
      { className: 'topbar' },
      h(
        'button',
        {
          type: 'button',
          className: 'toggle',
          'aria-controls': 'sidebar',
          'aria-expanded': 'false',
          onclick: toggle('show-rooms'),
        },
        w.showRooms,
      ),
      h('h1', {}, w.title),
      page.status,
      h('span', { className: 'me' }, user.name),
      h(
        'button',
        {
          type: 'button',
          className: 'secondary small',
          'aria-label': w.languageLabel,
          onclick: () => a.switchLang(),
        },
        w.language,
      ),
      h(
        'button',
        { type: 'button', className: 'secondary small', onclick: () => a.signOut() },
        w.signOut,
      ),
    ),
    h(
      'nav',
      { id: 'sidebar', 'aria-label': w.rooms },
      h('h2', { id: 'rooms-heading' }, w.rooms),
      page.joined,
      h('h2', { id: 'direct-heading' }, w.direct),
      page.direct,
      h('h2', { id: 'others-heading' }, w.otherRooms),
      page.others,
      inputForm('new-room', w.newRoom, w.create, 64, (v) => a.create(v)),
      inputForm('new-direct', w.newDirect, w.open, 32, (v) => a.direct(v)),
    ),
    h(
      'main',
      { className: 'room' },
      h(
        'div',
        { className: 'room-header' },
        page.title,
        page.leave,
        h(
          'button',
          {
            type: 'button',
            className: 'toggle',
            'aria-controls': 'people',
            'aria-expanded': 'false',
            onclick: toggle('show-people'),
          },
          w.showPeople,
        ),
      ),
      page.log,
      page.typing,
      h(
        'form',
        {
          className: 'composer',
          onsubmit: (e: Event) => {
            e.preventDefault();
            sendFrom(composer, a);
          },
        },
        h('label', { for: 'composer', className: 'visually-hidden' }, w.message),
        composer,
        h('button', { type: 'submit' }, w.send),
        h('p', { id: 'composer-hint', className: 'hint' }, w.composerHint),
      ),
    ),
    h(
      'aside',
      { id: 'people', 'aria-labelledby': 'people-heading' },
      h('h2', { id: 'people-heading' }, w.online),
      page.people,
    ),
  );
  page.leave.addEventListener('click', () => {
    const id = Number(page.leave.dataset.room);
    if (id > 0) a.leave(id);
  });
  return page;
}

function sendFrom(composer: HTMLTextAreaElement, a: ChatActions): void {
  const text = composer.value;
  if (text.trim() === '') return;
  composer.value = '';
  a.send(text);
}

function inputForm(
  id: string,
  label: string,
  button: string,
  max: number,
  submit: (value: string) => void,
): HTMLFormElement {
  const input = h('input', { id, maxlength: max, required: true });
  return h(
    'form',
    {
      className: 'inline',
      onsubmit: (e: Event) => {
        e.preventDefault();
        if (input.value.trim() === '') return;
        submit(input.value.trim());
        input.value = '';
      },
    },
    h('label', { for: id }, label),
    h('div', { className: 'row' }, input, h('button', { type: 'submit' }, button)),
  );
}

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
  const item = (room: RoomState) => {
    // The count is shown as a badge and read out as words ("3 unread").
    const count = room.unread > 999 ? '999+' : String(room.unread);
    const badge =
      room.unread > 0
        ? h(
            'span',
            {},
            h('span', { className: 'badge', 'aria-hidden': 'true' }, count),
            h('span', { className: 'visually-hidden' }, `, ${fill(w.unread, { n: count })}`),
          )
        : null;
    if (!room.summary.joined)
      return h(
        'li',
        {},
        h('span', { className: 'name' }, roomName(room)),
        h(
          'button',
          { type: 'button', className: 'small', onclick: () => a.join(room.summary.id) },
          w.join,
        ),
      );
    return h(
      'li',
      {},
      h(
        'button',
        {
          type: 'button',
          className: 'room-button',
          'aria-current': room.summary.id === state.current ? 'page' : undefined,
          onclick: () => a.open(room.summary.id),
        },
        h('span', { className: 'name' }, roomName(room)),
        badge,
      ),
    );
  };
  const rooms = [...state.rooms.values()];
  fillWith(
    page.joined,
    ...rooms.filter((r) => r.summary.kind === 'public' && r.summary.joined).map(item),
  );
  fillWith(page.direct, ...rooms.filter((r) => r.summary.kind === 'dm').map(item));
  fillWith(
    page.others,
    ...rooms.filter((r) => r.summary.kind === 'public' && !r.summary.joined).map(item),
  );
}

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
  const items = state
    .sorted(room.summary.id)
    .map((m) =>
      h(
        'li',
        { className: m.from.id === me ? 'msg mine' : 'msg', 'data-seq': m.seq },
        h('span', { className: 'from' }, m.from.name),
        h(
          'time',
          { datetime: new Date(m.ts).toISOString() },
          new Date(m.ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
        ),
        h('p', { className: 'text' }, m.text),
      ),
    );
  const pending = state.pending
    .filter((p) => p.room === room.summary.id)
    .map((p) =>
      h(
        'li',
        { className: 'msg mine pending', 'data-pending': p.failed ? 'failed' : 'pending' },
        h('span', { className: 'from' }, state.user?.name ?? ''),
        h('span', { className: 'state' }, p.failed ? w.failed : w.pending),
        h('p', { className: 'text' }, p.text),
      ),
    );
  fillWith(page.list, ...items, ...pending);
  const firstAfter = page.list.firstElementChild?.getAttribute('data-seq');
  if (firstBefore !== undefined && firstBefore !== firstAfter && !atBottom)
    log.scrollTop = log.scrollHeight - fromBottom;
  else if (atBottom || firstBefore === undefined) log.scrollTop = log.scrollHeight;
}

function renderTyping(page: ChatPage, w: Words, room: RoomState | undefined): void {
  const now = Date.now();
  const names = [...(room?.typing.values() ?? [])].filter((t) => t.until > now).map((t) => t.name);
  page.typing.textContent = names.length === 0 ? '' : fill(w.typing, { names: names.join(', ') });
}
