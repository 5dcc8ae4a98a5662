/** The UI's words in English and Chinese; the language comes from the browser, switchable. */

const en = {
  title: 'wsx chat',
  signInTitle: 'Sign in to chat',
  userName: 'User name',
  password: 'Password',
  signIn: 'Sign in',
  register: 'Create account',
  signOut: 'Sign out',
  rooms: 'Rooms',
  direct: 'Direct messages',
  otherRooms: 'Other rooms',
  newRoom: 'New room name',
  create: 'Create',
  newDirect: 'Message a user (name)',
  open: 'Open',
  join: 'Join',
  leave: 'Leave',
  message: 'Message',
  send: 'Send',
  composerHint: 'Enter to send, Shift+Enter for a new line',
  online: 'Online',
  members: 'Members',
  connected: 'Connected',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  offline: 'Offline: messages will be sent when the connection is back',
  pending: 'sending…',
  failed: 'not sent',
  typing: '{names} is typing…',
  loadOlder: 'Load older messages',
  noRoom: 'Pick or create a room to start chatting.',
  unread: '{n} unread',
  language: '中文',
  languageLabel: 'Switch language',
  showRooms: 'Rooms',
  showPeople: 'People',
  you: 'you',
};

export type Words = typeof en;
export type Lang = 'en' | 'zh';

const zh: Words = {
  title: 'wsx 聊天',
  signInTitle: '登录聊天',
  userName: '用户名',
  password: '密码',
  signIn: '登录',
  register: '注册账号',
  signOut: '退出',
  rooms: '聊天室',
  direct: '私信',
  otherRooms: '其他聊天室',
  newRoom: '新聊天室名称',
  create: '创建',
  newDirect: '私信用户（用户名）',
  open: '打开',
  join: '加入',
  leave: '离开',
  message: '消息',
  send: '发送',
  composerHint: '按 Enter 发送，Shift+Enter 换行',
  online: '在线',
  members: '成员',
  connected: '已连接',
  connecting: '正在连接…',
  reconnecting: '正在重新连接…',
  offline: '离线：连接恢复后将发送消息',
  pending: '发送中…',
  failed: '未发送',
  typing: '{names} 正在输入…',
  loadOlder: '加载更早的消息',
  noRoom: '选择或创建一个聊天室开始聊天。',
  unread: '{n} 条未读',
  language: 'English',
  languageLabel: '切换语言',
  showRooms: '聊天室',
  showPeople: '成员',
  you: '我',
};

const WORDS: Record<Lang, Words> = { en, zh };
const KEY = 'wsx-chat-lang';

export function initialLang(): Lang {
  const saved = localStorage.getItem(KEY);
  if (saved === 'en' || saved === 'zh') return saved;
  const preferred = navigator.languages?.[0] ?? navigator.language ?? 'en';
  return preferred.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function saveLang(lang: Lang): void {
  localStorage.setItem(KEY, lang);
}

export function words(lang: Lang): Words {
  return WORDS[lang];
}

/** Fills `{name}` placeholders. */
export function fill(text: string, values: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (_, key: string) => String(values[key] ?? ''));
}
