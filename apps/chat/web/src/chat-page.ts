/**
 * The chat page's frame, built once (so the composer keeps its text and focus while the lists
 * are re-rendered): top bar, rooms, the conversation with its composer, and who is online.
 */
import type { User } from './api.js';
import { fillWith, h } from './dom.js';
import type { Words } from './i18n.js';

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

/** The parts of the page that are re-rendered. */
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
    composer: composerInput(a),
  };
  page.log.append(page.older, page.list);
  // Infinite scroll: near the top, the older page loads by itself (the button stays, for
  // keyboards and screen readers).
  const nearTop = () => page.log.scrollTop < 80 && !page.older.hidden;
  page.log.addEventListener('scroll', () => nearTop() && a.loadOlder(), { passive: true });
  page.leave.addEventListener('click', () => {
    const id = Number(page.leave.dataset.room);
    if (id > 0) a.leave(id);
  });
  fillWith(
    root,
    topBar(w, user, page, a),
    sidebar(w, page, a),
    roomPane(w, page, a),
    peoplePane(w, page),
  );
  return page;
}

/** A button that shows or hides a panel on a phone-sized screen, and says which it did. */
function panelToggle(panel: string, controls: string, label: string): HTMLButtonElement {
  const button = h(
    'button',
    { type: 'button', className: 'toggle', 'aria-controls': controls, 'aria-expanded': 'false' },
    label,
  );
  button.addEventListener('click', () => {
    button.setAttribute('aria-expanded', String(document.body.classList.toggle(panel)));
  });
  return button;
}

function topBar(w: Words, user: User, page: ChatPage, a: ChatActions): HTMLElement {
  const lang = h(
    'button',
    { type: 'button', className: 'secondary small', 'aria-label': w.languageLabel },
    w.language,
  );
  lang.addEventListener('click', () => a.switchLang());
  const signOut = h('button', { type: 'button', className: 'secondary small' }, w.signOut);
  signOut.addEventListener('click', () => a.signOut());
  return h(
    'header',
    { className: 'topbar' },
    panelToggle('show-rooms', 'sidebar', w.showRooms),
    h('h1', {}, w.title),
    page.status,
    h('span', { className: 'me' }, user.name),
    lang,
    signOut,
  );
}

function sidebar(w: Words, page: ChatPage, a: ChatActions): HTMLElement {
  return h(
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
  );
}

function roomPane(w: Words, page: ChatPage, a: ChatActions): HTMLElement {
  const form = h(
    'form',
    { className: 'composer' },
    h('label', { for: 'composer', className: 'visually-hidden' }, w.message),
    page.composer,
    h('button', { type: 'submit' }, w.send),
    h('p', { id: 'composer-hint', className: 'hint' }, w.composerHint),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    sendFrom(page.composer, a);
  });
  const header = h(
    'div',
    { className: 'room-header' },
    page.title,
    page.leave,
    panelToggle('show-people', 'people', w.showPeople),
  );
  return h('main', { className: 'room' }, header, page.log, page.typing, form);
}

function peoplePane(w: Words, page: ChatPage): HTMLElement {
  return h(
    'aside',
    { id: 'people', 'aria-labelledby': 'people-heading' },
    h('h2', { id: 'people-heading' }, w.online),
    page.people,
  );
}

function composerInput(a: ChatActions): HTMLTextAreaElement {
  const composer = h('textarea', {
    id: 'composer',
    rows: 2,
    'aria-describedby': 'composer-hint',
    enterkeyhint: 'send',
  });
  composer.addEventListener('keydown', (event) => {
    // Enter sends; Shift+Enter is a newline; the Enter that ends an IME composition (Chinese
    // pinyin) does not send.
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229)
      return;
    event.preventDefault();
    sendFrom(composer, a);
  });
  composer.addEventListener('input', () => a.typing());
  return composer;
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
  const form = h(
    'form',
    { className: 'inline' },
    h('label', { for: id }, label),
    h('div', { className: 'row' }, input, h('button', { type: 'submit' }, button)),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (value === '') return;
    submit(value);
    input.value = '';
  });
  return form;
}
