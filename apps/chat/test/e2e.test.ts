/**
 * End to end in Chromium (Debian's, driven by playwright-core): two people in two browser
 * contexts, one in English and one in Chinese, sign up, join a room and chat; one reloads and
 * sees the history; the server restarts mid-conversation and both pages reconnect by
 * themselves, a message typed while it was down is sent once it is back, and every message is
 * shown exactly once; markup in a message is shown as text. Screenshots of both pages, at
 * desktop and phone sizes, go to apps/chat/test-output/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type ChatServer, startChatServer } from '../src/chat-server.js';
import { TestClient, tempDir, testConfig, within } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const OUTPUT = fileURLToPath(new URL('../test-output/', import.meta.url));
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const XSS = '<img src=x onerror=alert(1)>';

let browser: Browser | null = null;

before(async () => {
  if (!available) return;
  browser = await within(
    chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
      timeout: 15_000,
    }),
    20_000,
    'Chromium to start',
  );
});

after(() => browser?.close());

/** In CI a missing Chromium fails; elsewhere the test is skipped, loudly. */
function requireChromium(t: TestContext): boolean {
  if (available) return true;
  const message = "needs the Debian package 'chromium' (apt-get install -y chromium)";
  if (process.env.CI === 'true') throw new Error(`${message}; CI must install it in .ci/run`);
  console.warn(`\n*** SKIPPED: ${t.name} ${message} ***\n`);
  t.skip(message);
  return false;
}

async function person(
  locale: string,
): Promise<{ context: BrowserContext; page: Page; dialogs: string[] }> {
  const context = await browser!.newContext({ locale, viewport: DESKTOP });
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return { context, page, dialogs };
}

/** The texts of the stored messages the page shows (not the pending ones), in order. */
function shown(page: Page): Promise<string[]> {
  return page.locator('.message-list li.msg[data-seq] .text').allTextContents();
}

/** Waits until the page shows `text` as a stored message. */
async function waitForMessage(page: Page, text: string): Promise<void> {
  const selector = '.message-list li.msg[data-seq] .text';
  await page.waitForFunction(
    (args) => {
      // Runs in the page (this file is type-checked without the DOM's types; the page's CSP
      // allows no string evaluation).
      const { document } = globalThis as unknown as { document: PageDocument };
      return [...document.querySelectorAll(args.selector)].some((e) => e.textContent === args.text);
    },
    { selector, text },
    { timeout: 15_000 },
  );
}

interface PageDocument {
  querySelectorAll(selector: string): Iterable<{ textContent: string | null }>;
}

async function signUp(
  page: Page,
  base: string,
  name: string,
  labels: { user: string; password: string; register: string },
) {
  await page.goto(base);
  await page.getByLabel(labels.user).fill(name);
  await page.getByLabel(labels.password).fill('correct horse');
  await page.getByRole('button', { name: labels.register }).click();
  await page.getByRole('status').waitFor();
}

async function say(page: Page, label: string, text: string): Promise<void> {
  const composer = page.getByLabel(label, { exact: true });
  await composer.fill(text);
  await composer.press('Enter');
}

async function screenshots(pages: [string, Page][]): Promise<void> {
  mkdirSync(OUTPUT, { recursive: true });
  for (const [name, page] of pages) {
    await page.screenshot({ path: `${OUTPUT}${name}-desktop.png` });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: `${OUTPUT}${name}-phone.png` });
    await page.setViewportSize(DESKTOP);
  }
}

test('two people chat in English and Chinese, through a reload and a server restart', async (t) => {
  if (!requireChromium(t)) return;
  const config = testConfig(tempDir(t), ['--burst', '200']);
  let server: ChatServer = await startChatServer(config);
  t.after(() => server.close());
  const base = `http://127.0.0.1:${server.port}`;
  const alice = await person('en-US');
  const bob = await person('zh-CN');
  t.after(() => Promise.all([alice.context.close(), bob.context.close()]));

  await signUp(alice.page, base, 'alice', {
    user: 'User name',
    password: 'Password',
    register: 'Create account',
  });
  await signUp(bob.page, base, '小明', { user: '用户名', password: '密码', register: '注册账号' });
  await alice.page.getByLabel('New room name').fill('茶水间 Tea ☕');
  await alice.page.getByLabel('New room name').press('Enter');
  await alice.page.getByRole('heading', { name: '茶水间 Tea ☕' }).waitFor();
  await bob.page.getByRole('button', { name: '加入' }).click();
  await bob.page.getByRole('heading', { name: '茶水间 Tea ☕' }).waitFor();

  await say(alice.page, 'Message', 'Hello 小明 👋');
  await waitForMessage(bob.page, 'Hello 小明 👋');
  await say(bob.page, '消息', '你好 alice！第二行\nline two');
  await waitForMessage(alice.page, '你好 alice！第二行\nline two');

  await bob.page.reload();
  await waitForMessage(bob.page, 'Hello 小明 👋');
  assert.deepEqual(await shown(bob.page), ['Hello 小明 👋', '你好 alice！第二行\nline two']);

  // The server restarts mid-conversation; alice writes while it is down.
  await server.close();
  await alice.page.getByRole('status').filter({ hasText: 'Reconnecting' }).waitFor();
  await bob.page.getByRole('status').filter({ hasText: '正在重新连接' }).waitFor();
  await say(alice.page, 'Message', 'written while the server was down 离线');
  await alice.page.locator('li.msg.pending').filter({ hasText: 'sending' }).waitFor();
  server = await startChatServer({ ...config, port: server.port });
  await waitForMessage(bob.page, 'written while the server was down 离线');
  await waitForMessage(alice.page, 'written while the server was down 离线');
  await alice.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
  await say(bob.page, '消息', '欢迎回来 🎉');
  await waitForMessage(alice.page, '欢迎回来 🎉');

  await say(alice.page, 'Message', XSS);
  await waitForMessage(bob.page, XSS);
  await waitForMessage(alice.page, XSS); // acknowledged: no longer pending
  const expected = [
    'Hello 小明 👋',
    '你好 alice！第二行\nline two',
    'written while the server was down 离线',
    '欢迎回来 🎉',
    XSS,
  ];
  assert.deepEqual(await shown(alice.page), expected, 'each message exactly once');
  assert.deepEqual(await shown(bob.page), expected, 'each message exactly once');
  assert.equal(
    await bob.page.locator('.message-list img').count(),
    0,
    'markup is text, not an element',
  );
  assert.equal(await alice.page.locator('li.msg.pending').count(), 0, 'nothing left pending');
  assert.deepEqual([...alice.dialogs, ...bob.dialogs], [], 'no script ran');
  await screenshots([
    ['alice', alice.page],
    ['xiaoming', bob.page],
  ]);

  // Infinite scroll: with more than a page of history, scrolling up loads the older messages.
  const cookie = (await alice.context.cookies()).find((c) => c.name === 'wsx_chat_session')!;
  const chat = { server, base, ws: `ws://127.0.0.1:${server.port}/ws`, dataDir: config.dataDir };
  const { client, welcome } = await TestClient.signedIn(chat, `${cookie.name}=${cookie.value}`);
  const room = (welcome.rooms as { id: number }[])[0]!.id;
  for (let i = 1; i <= 60; i++)
    client.fire('send', { room, text: `filler ${i}`, clientMsgId: `filler-${i}` });
  await client.next((f) => f.type === 'ack' && (f.clientMsgId as string) === 'filler-60');
  client.close();
  await alice.page.reload();
  await waitForMessage(alice.page, 'filler 60');
  assert.equal((await shown(alice.page)).length, 50, 'the latest page');
  await alice.page.locator('.messages').evaluate((log) => {
    log.scrollTop = 0;
  });
  await waitForMessage(alice.page, 'Hello 小明 👋');
  assert.deepEqual(await shown(alice.page), [
    ...expected,
    ...Array.from({ length: 60 }, (_, i) => `filler ${i + 1}`),
  ]);
});
