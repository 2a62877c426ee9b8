import { defineConfig } from '@playwright/test';

// The portal under test: the dev build of the server binary, on its own port, with a fresh
// database (made by .ci/test.sh) in demo mode. Every test runs twice: hydrated, and with
// JavaScript off (the no-JS project skips files named *.js-only.spec.ts); files named
// *.after.spec.ts run, both ways, once the rest have finished.
const port = Number(process.env.E2E_PORT ?? 3111);
const baseURL = `http://127.0.0.1:${port}`;
export const demoPassword = 'e2e demo password 7';

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results/artifacts',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list'], ['json', { outputFile: 'test-results/results.json' }]],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  projects: [
    { name: 'js', use: { javaScriptEnabled: true }, testIgnore: /.*\.after\.spec\.ts/ },
    { name: 'nojs', use: { javaScriptEnabled: false }, testIgnore: [/.*\.js-only\.spec\.ts/, /.*\.after\.spec\.ts/] },
    // Tests that start a second portal on the shared database (a clock moved forward, the
    // second factor required) run once everything else is done, so no other test meets it.
    { name: 'after-js', use: { javaScriptEnabled: true }, testMatch: /.*\.after\.spec\.ts/, dependencies: ['js', 'nojs'] },
    { name: 'after-nojs', use: { javaScriptEnabled: false }, testMatch: /.*\.after\.spec\.ts/, dependencies: ['js', 'nojs'] },
  ],
  webServer: {
    command: process.env.PORTAL_BIN ?? '../target/debug/portal',
    url: `${baseURL}/readyz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      DATABASE_URL: process.env.E2E_DATABASE_URL ?? 'sqlite://../target/e2e/e2e.db',
      PORTAL_LISTEN: `127.0.0.1:${port}`,
      PORTAL_DEMO: 'true',
      PORTAL_DEMO_PASSWORD: demoPassword,
      PORTAL_SIGN_IN_BURST: '1000',
      LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? '../target/site',
      RUST_LOG: 'warn',
      // The readiness checks have their own tests; the other journeys use organisations without endpoints.
      PORTAL_READINESS_CHECKS: 'false',
      // The demo's find-endpoint simulator, at fixed addresses for connectivity.spec.ts.
      PORTAL_DEMO_SIMULATOR_LISTEN: '127.0.0.1:3113',
      PORTAL_DEMO_SIMULATOR_CONTROL: '127.0.0.1:3114',
    },
  },
});
