import { test as base, expect, Page } from '@playwright/test';

/// Pages in the middle of signing out (see `switchUser`).
export const signingOut = new WeakSet<Page>();

/// Every test fails if the page logs an error or the browser reports a CSP violation.
export const test = base.extend<{ problems: string[] }>({
  problems: [
    async ({ page }, use) => {
      const problems: string[] = [];
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() !== 'error') return;
        // The browser logs the 404 status of a page a test opened on purpose to see "Page not found".
        const expected404 = /status of 404/.test(msg.text()) && /no-such-page/.test(msg.location().url);
        const expected403 = /status of 403/.test(msg.text()) && /\/staff\//.test(msg.location().url);
        const expected401 = /status of 401/.test(msg.text()) && signingOut.has(page);
        if (!expected404 && !expected403 && !expected401) problems.push(`console error: ${msg.text()}`);
      });
      await use(problems);
      expect(problems, 'no errors or CSP violations in the browser').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/// With JavaScript on, waits until the page has hydrated (the app marks <body>).
export async function settled(page: Page, javaScriptEnabled: boolean | undefined) {
  if (javaScriptEnabled !== false) {
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  }
}

export const footerPages = [
  { link: 'Help', path: '/help', heading: 'Help' },
  { link: 'Accessibility statement', path: '/accessibility', heading: 'Accessibility statement' },
  { link: 'Cookies', path: '/cookies', heading: 'Cookies' },
  { link: 'Privacy', path: '/privacy', heading: 'Privacy' },
];
