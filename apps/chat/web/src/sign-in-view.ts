/** The sign-in page: a name, a password, sign in or create an account, and the language. */
import { fillWith, h } from './dom.js';
import type { Words } from './i18n.js';

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
  const lang = h(
    'button',
    { className: 'lang', type: 'button', 'aria-label': w.languageLabel },
    w.language,
  );
  lang.addEventListener('click', () => actions.switchLang());
  const buttons = h(
    'div',
    { className: 'buttons' },
    h('button', { type: 'submit' }, w.signIn),
    h(
      'button',
      { type: 'button', className: 'secondary', onclick: submit('register') },
      w.register,
    ),
  );
  const form = h(
    'form',
    { onsubmit: submit('login') },
    h('label', { for: 'name' }, w.userName),
    name,
    h('label', { for: 'password' }, w.password),
    password,
    h('p', { className: 'error', role: 'alert' }, error),
    buttons,
  );
  fillWith(root, h('main', { className: 'signin' }, lang, h('h1', {}, w.signInTitle), form));
  name.focus();
}
