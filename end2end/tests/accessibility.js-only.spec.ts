import AxeBuilder from '@axe-core/playwright';
import { test, expect, settled, footerPages } from './fixtures';
import { demoPassword } from '../playwright.config';

// axe needs JavaScript in the page it analyses, so this file runs in the JavaScript-on project.
const pages = ['/', ...footerPages.map((p) => p.path), '/no-such-page', '/sign-in', '/signed-out', '/invitation/expired-or-unknown'];

for (const path of pages) {
  test(`${path} has no accessibility violations (WCAG 2.2 AA rules)`, async ({ page }) => {
    await page.goto(path);
    await settled(page, true);
    const results = await new AxeBuilder({ page })
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
      .analyze();
    const summary = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length} nodes)`);
    expect(summary).toEqual([]);
  });
}

const signedIn: { email: string; paths: string[] }[] = [
  { email: 'manager@demo-pensions.example', paths: ['/organisation', '/organisation/account', '/oat/1', '/oat/1/crypto-deployed', '/oat/1/connection-date', '/oat/1/check-answers', '/oat/1/cannot-request?question=crypto-deployed', '/organisation/schemes/add', '/queries', '/queries/new', '/account', '/account/password', '/account/second-factor'] },
  { email: 'manager@harbour-pensions.example', paths: ['/organisation', '/organisation/schemes/add', '/organisation/schemes/upload'] },
  { email: 'staff@pdp.example', paths: ['/staff', '/staff/upcoming', '/staff/queries', '/staff/schemes', '/staff/audit', '/staff/emails', '/staff/organisations', '/staff/organisations/1'] },
  { email: 'admin@pdp.example', paths: ['/admin/organisations', '/admin/organisations/programme', '/admin/organisations/1', '/admin/users/1'] },
];

for (const { email, paths } of signedIn) {
  test(`signed-in pages for ${email} have no accessibility violations`, async ({ page }) => {
    // One page load and one axe run per path: the time allowed grows with the list (the
    // default 30 s was too little for eight pages on a busy two-core machine).
    test.setTimeout(15_000 * (paths.length + 1));
    await page.goto('/sign-in');
    await settled(page, true);
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password').fill(demoPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
    for (const path of paths) {
      await page.goto(path);
      await settled(page, true);
      const results = await new AxeBuilder({ page })
        .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
        .analyze();
      expect(results.violations.map((v) => `${path} ${v.id}: ${v.help}`)).toEqual([]);
    }
  });
}

test('the sign-in page with an error has no accessibility violations', async ({ page }) => {
  await page.goto('/sign-in');
  await settled(page, true);
  await page.getByLabel('Email address').fill('nobody@nowhere.example');
  await page.getByLabel('Password').fill('wrong password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('There is a problem');
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
    .analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
});

test('the page hydrates under the strict Content Security Policy', async ({ page }) => {
  const violations: string[] = [];
  await page.exposeFunction('reportViolation', (v: string) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as unknown as { reportViolation: (v: string) => void }).reportViolation(
        `${e.violatedDirective} ${e.blockedURI}`,
      ),
    );
  });
  const response = await page.goto('/');
  const csp = response?.headers()['content-security-policy'] ?? '';
  expect(csp).toContain("'nonce-");
  await settled(page, true);
  expect(violations).toEqual([]);
});
