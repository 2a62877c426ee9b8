#!/usr/bin/env node
// What a first visit downloads, and how soon the page is interactive, against a running portal
// with demo data (`make bench` runs it against the release build; any build works).
//
//   node .ci/bench_frontend.mjs --base http://127.0.0.1:3199 --password 'demo password'
//   (or BASE=... DEMO_PASSWORD=... node .ci/bench_frontend.mjs; --runs N, --timeout-ms N, --verbose)
//
// 1. Sizes, each page in a fresh browser context with the cache off: every script and WASM
//    module the page fetches (the bodies as the browser received them, then gzip -9 and
//    brotli -q 11 of them, worked out here), the stylesheet, the HTML, and the bytes on the wire.
//    Pages: sign-in (signed out), the overview (service manager), the first question of the OAT
//    journey and its check-your-answers page (reached by following the links, nothing is
//    answered), the staff queue and the first request in it (programme staff; when the queue is
//    empty, as on a fresh demo database, it first sends a request as the demo manager).
// 2. Time to interactive on the sign-in page and the overview on an emulated slow connection
//    (1.6 Mbit/s down, 750 kbit/s up, 150 ms latency, no cache), a fresh context per run:
//    interactive is when <body> carries data-hydrated="true", in ms from navigation start.
// 3. PASS/FAIL lines against the bars. The script exits 0 whatever the figures (it is a report);
//    it exits 1 only when it could not measure at all.
//
// Works with full hydration (every page loads the one WASM bundle) and with Leptos islands
// (a page without <leptos-island> should load no WASM at all). It only ever talks to 127.0.0.1.
import { chromium } from '@playwright/test';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const gzip = promisify(zlib.gzip);
const brotli = promisify(zlib.brotliCompress);

// ---------------------------------------------------------------------------------------------
// Settings

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m || !['base', 'password', 'runs', 'timeout-ms', 'verbose'].includes(m[1])) throw new Error(`unexpected argument ${a}`);
    if (m[1] === 'verbose') out.verbose = true;
    else if (m[2] !== undefined) out[m[1]] = m[2];
    else if (i + 1 < argv.length) out[m[1]] = argv[++i];
    else throw new Error(`${a} needs a value`);
  }
  return out;
}

let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (e) {
  console.error(`bench_frontend: ${e.message}`);
  process.exit(2);
}
const BASE = (args.base ?? process.env.BASE ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
const PASSWORD = args.password ?? process.env.DEMO_PASSWORD ?? process.env.PORTAL_DEMO_PASSWORD;
const RUNS = Number(args.runs ?? process.env.RUNS ?? 5);
// Longest wait for one page (load and hydration), in each part; a run that takes longer counts
// as "timeout" and so as failing its bar. Keeps `make bench` bounded.
const TIMEOUT_MS = Number(args['timeout-ms'] ?? process.env.BENCH_FRONTEND_TIMEOUT_MS ?? 60_000);
const VERBOSE = !!args.verbose || process.env.VERBOSE === '1';
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const MANAGER = 'manager@demo-pensions.example';
const STAFF = 'staff@pdp.example';

// The slow connection: Chrome's figures are bytes per second and milliseconds.
const SLOW = {
  offline: false,
  latency: 150,
  downloadThroughput: 1.6e6 / 8,
  uploadThroughput: 750e3 / 8,
};

const KB = 1000; // the bars and the table are in kB of 1000 bytes
const BARS = {
  brotli: 150 * KB, // JS + WASM per first visit, brotli
  gzip: 200 * KB, // JS + WASM per first visit, gzip
  signInInteractiveMs: 3000, // median
  cssGzip: 20 * KB,
};

{
  let url;
  try {
    url = new URL(BASE);
  } catch {
    console.error(`bench_frontend: not a URL: ${BASE}`);
    process.exit(2);
  }
  if (url.hostname !== '127.0.0.1' || url.protocol !== 'http:') {
    console.error(`bench_frontend: only http://127.0.0.1:<port> is measured, not ${BASE}`);
    process.exit(2);
  }
  if (!PASSWORD) {
    console.error('bench_frontend: the demo password is needed (--password or DEMO_PASSWORD)');
    process.exit(2);
  }
  if (!(RUNS >= 1) || !(TIMEOUT_MS > 0)) {
    console.error('bench_frontend: --runs and --timeout-ms must be positive');
    process.exit(2);
  }
}

const log = (...a) => console.error('   ', ...a);

// ---------------------------------------------------------------------------------------------
// Browser helpers

const LAUNCH = {
  executablePath: CHROMIUM,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};

// Runs in every page before its own scripts: notes performance.now() (ms since navigation
// start) when <body> first carries data-hydrated="true", whether the server wrote it into the
// HTML or a script set it later.
const INIT_SCRIPT = `(() => {
  const s = (window.__benchFrontend = { interactive: null });
  let watchingBody = false;
  const check = () => {
    const body = document.body;
    if (s.interactive !== null || !body) return;
    if (body.getAttribute('data-hydrated') === 'true') {
      s.interactive = performance.now();
      observer.disconnect();
    } else if (!watchingBody) {
      // From here on only the body's attribute matters, not every node the parser adds.
      watchingBody = true;
      observer.disconnect();
      observer.observe(body, { attributes: true, attributeFilter: ['data-hydrated'] });
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { childList: true, subtree: true });
  document.addEventListener('DOMContentLoaded', check);
})();`;

const signInFailures = new Map();

/// Signs the context in as `email` with a form post, as the sign-in page sends it (no page is
/// opened, so the browser's cache stays empty). Once an account has failed, it is not tried
/// again: repeated failures would lock it.
async function signIn(context, email) {
  if (signInFailures.has(email)) throw new Error(signInFailures.get(email));
  const res = await context.request.post(`${BASE}/api/auth/sign-in`, {
    form: { email, password: PASSWORD, next: '' },
    headers: { 'Sec-Fetch-Site': 'same-origin', Accept: 'text/html' },
    maxRedirects: 0,
    timeout: 30_000,
  });
  const location = res.headers()['location'] ?? '';
  if (res.status() < 300 || res.status() >= 400 || location.startsWith('/sign-in')) {
    const why = `signing in as ${email} failed (HTTP ${res.status()}${location ? ` to ${location}` : ''})`;
    signInFailures.set(email, why);
    throw new Error(why);
  }
}

/// Runs `fn` with a page in a fresh context (signed in as `email`, if given), the browser's
/// cache cleared and off; closes the context afterwards.
async function withPage(browser, email, fn, { javaScriptEnabled = true } = {}) {
  const context = await browser.newContext({ javaScriptEnabled });
  try {
    await context.addInitScript({ content: INIT_SCRIPT });
    if (email) await signIn(context, email);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.clearBrowserCache');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    return await fn({ context, page, cdp });
  } finally {
    await context.close();
  }
}

const pathOf = (url) => new URL(url, BASE).pathname;

function expectAt(page, path) {
  const at = pathOf(page.url());
  if (at !== path) throw new Error(`asked for ${path}, the browser ended at ${at} (signed out?)`);
}

/// Waits (within `deadline`, a Date.now() value) for the page's data-hydrated mark; the time
/// it was seen, or null.
async function interactiveAt(page, deadline) {
  try {
    await page.waitForFunction(() => window.__benchFrontend && window.__benchFrontend.interactive !== null, null, {
      timeout: Math.max(1, deadline - Date.now()),
      polling: 50,
    });
    return await page.evaluate(() => window.__benchFrontend.interactive);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Part 1: sizes

const compressed = new Map(); // sha256 of a body -> promise of { gzip, br }

function compressedSizes(body) {
  const key = createHash('sha256').update(body).digest('hex');
  if (!compressed.has(key)) {
    compressed.set(
      key,
      Promise.all([
        gzip(body, { level: 9 }),
        brotli(body, {
          params: {
            [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
            [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
          },
        }),
      ]).then(([g, b]) => ({ gzip: g.length, br: b.length })),
    );
  }
  return compressed.get(key);
}

function kindOf(url, resourceType, contentType) {
  const path = pathOf(url);
  if (/\.wasm$/i.test(path) || /application\/wasm/i.test(contentType)) return 'wasm';
  if (resourceType === 'script' || /\.m?js$/i.test(path) || /javascript/i.test(contentType)) return 'js';
  if (resourceType === 'stylesheet' || /\.css$/i.test(path) || /text\/css/i.test(contentType)) return 'css';
  if (resourceType === 'document') return 'html';
  return 'other';
}

/// One first visit to `path` in a fresh context: every response, its body and sizes.
function measureSizes(browser, label, path, email) {
  return withPage(browser, email, async ({ context, page, cdp }) => {
    // Bytes on the wire per request (headers and the body as sent, compressed or not).
    const wire = new Map();
    cdp.on('Network.loadingFinished', (e) => wire.set(e.requestId, e.encodedDataLength));
    const files = [];
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('response', (response) => {
      const request = response.request();
      const contentType = response.headers()['content-type'] ?? '';
      const kind = kindOf(response.url(), request.resourceType(), contentType);
      if (response.status() >= 300 && response.status() < 400) return;
      const file = { url: response.url(), kind, status: response.status() };
      files.push(
        response.body().then(
          (body) => ({ ...file, body }),
          // A body Chrome no longer holds (a large one): fetched again, outside the browser.
          async () => {
            const again = await context.request.get(file.url, { headers: { 'Accept-Encoding': 'identity' } });
            return { ...file, body: await again.body(), refetched: true };
          },
        ),
      );
    });
    const deadline = Date.now() + TIMEOUT_MS;
    await page.goto(BASE + path, { waitUntil: 'load', timeout: TIMEOUT_MS });
    expectAt(page, path);
    const interactive = await interactiveAt(page, deadline);
    // Whatever the page fetches once it is interactive (an island's own chunk) counts too.
    await page.waitForLoadState('networkidle', { timeout: Math.max(1, deadline - Date.now()) }).catch(() => {});
    const got = await Promise.all(files);
    const totals = { wasm: zero(), js: zero(), css: zero(), html: zero() };
    const seen = new Map();
    let islands = false;
    for (const f of got) {
      const n = (seen.get(f.url) ?? 0) + 1;
      seen.set(f.url, n);
      if (n > 1) continue; // counted once; the wire figure includes a second download
      if (f.kind === 'html' && pathOf(f.url) === path) islands = f.body.toString('utf8').includes('<leptos-island');
      if (!(f.kind in totals)) continue;
      const { gzip: gz, br } = await compressedSizes(f.body);
      Object.assign(f, { raw: f.body.length, gz, br });
      const t = totals[f.kind];
      t.raw += f.raw;
      t.gz += gz;
      t.br += br;
      t.files.push(f);
    }
    const wireBytes = [...wire.values()].reduce((x, y) => x + y, 0);
    const repeated = [...seen].filter(([, n]) => n > 1).map(([u, n]) => `${pathOf(u)} x${n}`);
    return { label, path, ...totals, wire: wireBytes, islands, interactive, repeated, errors };
  });
}

function zero() {
  return { raw: 0, gz: 0, br: 0, files: [] };
}

/// The pages of part 1 that are found by following links, in contexts without JavaScript
/// (plain links and full page loads): the first question of the OAT journey (the vouching
/// scheme's link on the overview, then 'Start now') and its check-your-answers page, as the
/// manager; the first request in the staff queue, as staff.
async function discover(browser) {
  const found = { question: null, checkAnswers: null, staffRequest: null, notes: [] };
  const noJs = { javaScriptEnabled: false };
  const first = (e) => e.message.split('\n')[0];
  await withPage(
    browser,
    MANAGER,
    async ({ page }) => {
      await page.goto(`${BASE}/organisation`, { timeout: TIMEOUT_MS });
      expectAt(page, '/organisation');
      const row = page.locator('tr', { hasText: 'Vouching scheme' }).first();
      const link = row.locator('a[href^="/oat/"]').first();
      if ((await link.count()) === 0) {
        const other = (await row.count()) ? await row.locator('a').first().getAttribute('href', { timeout: 1000 }).catch(() => null) : null;
        found.notes.push(
          `question page: no link to /oat/... in the vouching scheme's row${other ? ` (it links to ${other}: testing already requested)` : ''}`,
        );
        return;
      }
      await Promise.all([page.waitForURL(/\/oat\/[^/]+$/, { timeout: TIMEOUT_MS }), link.click()]);
      const start = page.getByRole('button', { name: 'Start now' }).or(page.getByRole('link', { name: 'Start now' }));
      if ((await start.count()) === 0) {
        found.notes.push(`question page: no 'Start now' on ${pathOf(page.url())}`);
        return;
      }
      const from = page.url();
      await Promise.all([page.waitForURL((u) => u.href !== from, { timeout: TIMEOUT_MS }), start.first().click()]);
      found.question = pathOf(page.url());
      // Opened by its address: nothing is answered or saved on the way.
      found.checkAnswers = found.question.replace(/\/[^/]+$/, '/check-answers');
    },
    noJs,
  ).catch((e) => found.notes.push(`question page: ${first(e)}`));
  await withPage(
    browser,
    STAFF,
    async ({ page }) => {
      await page.goto(`${BASE}/staff`, { timeout: TIMEOUT_MS });
      expectAt(page, '/staff');
      const hrefs = await page.locator('a[href^="/staff/requests/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      const request = hrefs.map((h) => new URL(h, BASE).pathname).find((p) => /^\/staff\/requests\/[^/]+$/.test(p));
      if (request) found.staffRequest = request;
      else found.notes.push('staff request: the queue is empty');
    },
    noJs,
  ).catch((e) => found.notes.push(`staff request: ${first(e)}`));
  return found;
}

/// Sends an OAT request for the demo manager's vouching scheme, from its first question page,
/// without JavaScript, as a person would: yes three times, the earliest date, send. Returns
/// the path it ends on.
async function sendRequest(browser, questionPath) {
  return withPage(
    browser,
    MANAGER,
    async ({ page }) => {
      await page.goto(`${BASE}${questionPath}`, { timeout: TIMEOUT_MS });
      for (let i = 0; i < 3; i++) {
        await page.getByLabel('Yes', { exact: true }).check();
        await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Continue' }).click()]);
      }
      const date = page.getByLabel('What is your connection date?');
      await date.fill((await date.getAttribute('min')) ?? '');
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Continue' }).click()]);
      const send = page.getByRole('button', { name: 'Send request' });
      if ((await send.count()) === 0) return `no 'Send request' on ${pathOf(page.url())}`;
      await Promise.all([page.waitForURL(/\/requests\/[^/]+\/sent$/, { timeout: TIMEOUT_MS }), send.click()]);
      return pathOf(page.url());
    },
    { javaScriptEnabled: false },
  );
}

/// The first request in staff's queue, or null.
async function firstQueuedRequest(browser) {
  return withPage(
    browser,
    STAFF,
    async ({ page }) => {
      await page.goto(`${BASE}/staff`, { timeout: TIMEOUT_MS });
      const hrefs = await page.locator('a[href^="/staff/requests/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      return hrefs.map((h) => new URL(h, BASE).pathname).find((p) => /^\/staff\/requests\/[^/]+$/.test(p)) ?? null;
    },
    { javaScriptEnabled: false },
  );
}

function pageNotesDrop(notes, text) {
  const i = notes.indexOf(text);
  if (i >= 0) notes.splice(i, 1);
}

// ---------------------------------------------------------------------------------------------
// Part 2: time to interactive on a slow connection

/// One run: signed in by a form post before any throttling, the cache cleared and off, then
/// the page on the slow connection.
function interactiveRun(browser, path, email) {
  return withPage(browser, email, async ({ page, cdp }) => {
    await cdp.send('Network.emulateNetworkConditions', SLOW);
    const deadline = Date.now() + TIMEOUT_MS;
    try {
      await page.goto(BASE + path, { waitUntil: 'load', timeout: TIMEOUT_MS });
    } catch (e) {
      if (!/Timeout/i.test(e.message)) throw e;
    }
    expectAt(page, path);
    const interactive = await interactiveAt(page, deadline);
    const nav = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0];
      return n ? { dcl: n.domContentLoadedEventStart, load: n.loadEventStart } : { dcl: 0, load: 0 };
    });
    return { interactive, dcl: nav.dcl || null, load: nav.load || null };
  });
}

function median(values) {
  // A run that never became interactive counts as slower than any that did.
  const v = values.map((x) => (x === null ? Infinity : x)).sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// ---------------------------------------------------------------------------------------------
// Report

const kb = (n) => (n === null || n === undefined ? '-' : (n / KB).toFixed(1));
const ms = (n) => (n === null || n === undefined ? 'timeout' : n === Infinity ? 'timeout' : `${Math.round(n)}`);
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);

function sizeTable(pages) {
  const head = ['page', 'wasm raw', 'wasm gz', 'wasm br', 'JS raw', 'JS gz', 'JS br', 'JS+wasm br', 'JS+wasm gz', 'CSS gz', 'HTML gz', 'wire', 'wasm?', 'islands'];
  const widths = [22, 9, 8, 8, 8, 7, 7, 10, 10, 7, 8, 8, 5, 7];
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? pad(c, widths[i]) : lpad(c, widths[i]))).join(' | ')} |`;
  const out = [line(head), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`];
  for (const p of pages) {
    if (p.na) {
      out.push(line([p.label, ...widths.slice(1).map((_, i) => (i === 0 ? 'n/a' : ''))]));
      continue;
    }
    out.push(
      line([
        p.label,
        kb(p.wasm.raw),
        kb(p.wasm.gz),
        kb(p.wasm.br),
        kb(p.js.raw),
        kb(p.js.gz),
        kb(p.js.br),
        kb(p.js.br + p.wasm.br),
        kb(p.js.gz + p.wasm.gz),
        kb(p.css.gz),
        kb(p.html.gz),
        kb(p.wire),
        p.wasm.files.length ? 'yes' : 'no',
        p.islands ? 'yes' : 'no',
      ]),
    );
  }
  return out;
}

async function main() {
  const started = Date.now();
  const browser = await chromium.launch(LAUNCH);
  const pages = [];
  const timings = [];
  const notes = [];
  try {
    log(`Sizes: first visits to ${BASE}, cache off`);
    const found = await discover(browser);
    notes.push(...found.notes);
    const plan = [
      ['sign-in', '/sign-in', null],
      ['overview', '/organisation', MANAGER],
      ['OAT question', found.question, MANAGER],
      ['OAT check answers', found.checkAnswers, MANAGER],
      ['staff queue', '/staff', STAFF],
      ['staff request', found.staffRequest, STAFF],
    ];
    for (const [label, path, email] of plan) {
      if (label === 'staff request' && !path && found.question) {
        // A fresh demo database has no request: send one as the manager, now that the journey's
        // pages have been measured, and measure staff's page for it.
        const made = await sendRequest(browser, found.question).catch((e) => e.message.split('\n')[0]);
        if (typeof made === 'string' && made.startsWith('/')) {
          pageNotesDrop(notes, 'staff request: the queue is empty');
          const request = await firstQueuedRequest(browser).catch(() => null);
          if (request) {
            plan.push([label, request, STAFF]);
            continue;
          }
        } else {
          notes.push(`staff request: could not send a request to measure (${made})`);
        }
      }
      if (!path) {
        pages.push({ label, na: true });
        continue;
      }
      try {
        const p = await measureSizes(browser, `${label}`, path, email);
        pages.push(p);
        log(`${label} ${path}: ${p.wasm.files.length + p.js.files.length} script/wasm files, ${kb(p.wire)} kB on the wire`);
      } catch (e) {
        pages.push({ label, na: true });
        notes.push(`${label} (${path}): ${e.message.split('\n')[0]}`);
      }
    }

    for (const [label, path, email] of [
      ['sign-in', '/sign-in', null],
      ['overview', '/organisation', MANAGER],
    ]) {
      log(`Time to interactive: ${label}, ${RUNS} runs on the slow connection`);
      const runs = [];
      for (let i = 0; i < RUNS; i++) {
        try {
          runs.push(await interactiveRun(browser, path, email));
        } catch (e) {
          notes.push(`interactive ${label}, run ${i + 1}: ${e.message.split('\n')[0]}`);
          runs.push({ interactive: null, dcl: null, load: null, failed: true });
        }
      }
      timings.push({ label, path, runs });
    }
  } finally {
    await browser.close();
  }

  // The report, on stdout.
  const out = [];
  out.push(`Front end, first visits to ${BASE} (${new Date().toISOString().slice(0, 16)}Z; sizes in kB of 1000 bytes; gz = gzip -9, br = brotli -q 11 of the bodies received; wire = bytes transferred, headers included)`);
  out.push(...sizeTable(pages));
  const measured = pages.filter((p) => !p.na);
  for (const p of measured) {
    if (p.repeated.length) out.push(`note: ${p.label} downloaded the same file more than once: ${p.repeated.join(', ')}`);
    if (p.errors.length) out.push(`note: ${p.label} had page errors: ${p.errors.slice(0, 3).join('; ')}`);
    if (p.interactive === null) out.push(`note: ${p.label} never showed data-hydrated="true" within ${TIMEOUT_MS} ms`);
  }
  if (VERBOSE) {
    out.push('', 'Files per page (raw / gz / br kB):');
    for (const p of measured) {
      out.push(`  ${p.label} ${p.path}`);
      for (const kind of ['html', 'css', 'js', 'wasm']) {
        for (const f of p[kind].files) {
          out.push(`    ${pad(kind, 4)} ${pathOf(f.url)}  ${kb(f.raw)} / ${kb(f.gz)} / ${kb(f.br)}${f.refetched ? ' (body fetched again)' : ''}`);
        }
      }
    }
  }

  out.push('', `Time to interactive (data-hydrated="true"), ms from navigation start: 1.6 Mbit/s down, 750 kbit/s up, 150 ms latency, no cache, fresh context per run`);
  out.push(`| page      | median interactive | runs: interactive (DOMContentLoaded, load) |`);
  out.push(`|-----------|-------------------:|--------------------------------------------|`);
  for (const t of timings) {
    const each = t.runs
      .map((r) => (r.failed ? 'failed' : `${ms(r.interactive)} (${r.dcl === null ? '-' : Math.round(r.dcl)}, ${r.load === null ? '-' : Math.round(r.load)})`))
      .join(', ');
    out.push(`| ${pad(t.label, 9)} | ${lpad(ms(median(t.runs.map((r) => r.interactive))), 18)} | ${each} |`);
  }

  // Bars.
  out.push('');
  const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
  if (measured.length) {
    const over = measured.filter((p) => p.js.br + p.wasm.br > BARS.brotli || p.js.gz + p.wasm.gz > BARS.gzip);
    const worst = measured.reduce((a, b) => (b.js.br + b.wasm.br > a.js.br + a.wasm.br ? b : a));
    out.push(
      `${verdict(!over.length)} JS+wasm per first visit <= ${kb(BARS.brotli)} kB br and <= ${kb(BARS.gzip)} kB gzip: ` +
        (over.length
          ? over.map((p) => `${p.label} ${kb(p.js.br + p.wasm.br)} br / ${kb(p.js.gz + p.wasm.gz)} gz`).join(', ')
          : `largest ${worst.label} ${kb(worst.js.br + worst.wasm.br)} br / ${kb(worst.js.gz + worst.wasm.gz)} gz`),
    );
    const plain = measured.filter((p) => !p.islands);
    if (plain.length) {
      const wasmy = plain.filter((p) => p.wasm.raw > 0);
      out.push(
        `${verdict(!wasmy.length)} pages without <leptos-island> download no wasm: ` +
          (wasmy.length
            ? wasmy.map((p) => `${p.label} ${kb(p.wasm.raw)} kB`).join(', ')
            : plain.map((p) => p.label).join(', ')) +
          (measured.every((p) => !p.islands && p.wasm.raw > 0) ? ' (no page has islands: a fully hydrated build)' : ''),
      );
    } else {
      out.push('n/a  pages without <leptos-island> download no wasm: every page has islands');
    }
    const cssOver = measured.filter((p) => p.css.gz > BARS.cssGzip);
    const cssMax = Math.max(...measured.map((p) => p.css.gz));
    out.push(
      `${verdict(!cssOver.length)} CSS <= ${kb(BARS.cssGzip)} kB gzip: ` +
        (cssOver.length ? cssOver.map((p) => `${p.label} ${kb(p.css.gz)} kB`).join(', ') : `largest ${kb(cssMax)} kB`),
    );
  } else {
    out.push('FAIL no page could be measured');
  }
  const signIn = timings.find((t) => t.label === 'sign-in');
  if (signIn) {
    const m = median(signIn.runs.map((r) => r.interactive));
    out.push(`${verdict(m <= BARS.signInInteractiveMs)} sign-in interactive <= ${BARS.signInInteractiveMs} ms (median): ${m === Infinity ? `not within ${TIMEOUT_MS} ms` : `${ms(m)} ms`}`);
  }
  for (const n of notes) out.push(`note: ${n}`);
  out.push(`(measured in ${Math.round((Date.now() - started) / 1000)} s)`);
  console.log(out.join('\n'));
  if (!measured.length) process.exitCode = 1;
}

main().catch((e) => {
  console.error(`bench_frontend: ${e.stack ?? e}`);
  process.exit(1);
});
