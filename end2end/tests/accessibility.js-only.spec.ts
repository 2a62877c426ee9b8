import AxeBuilder from '@axe-core/playwright';
import { test, expect, settled, footerPages } from './fixtures';

// axe needs JavaScript in the page it analyses, so this file runs in the JavaScript-on project.
const pages = ['/', ...footerPages.map((p) => p.path), '/no-such-page'];

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
