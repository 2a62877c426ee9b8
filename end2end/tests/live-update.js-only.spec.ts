// With JavaScript on, a page whose work is still running updates in place when the result
// arrives (the page's only island); without it the page offers "Check again" (connectivity.spec).
import { test, expect } from './fixtures';
import { newOrganisationManager } from './journeys';

const SIMULATOR = 'https://127.0.0.1:3113';
const CONTROL = 'http://127.0.0.1:3114';

test.describe.configure({ timeout: 120_000 });

test('a dry run still running when its page opens shows its result in place', async ({ page }) => {
  const suffix = await newOrganisationManager(page, true);
  const path = `/${suffix}/find-requests`;
  // "drop" closes each connection: three attempts, 2 s and 8 s apart, so the run takes about
  // 10 seconds, longer than the 5 the page waits before it answers.
  const r = await fetch(`${CONTROL}/answer?path=${encodeURIComponent(path)}`, { method: 'PUT', body: 'drop' });
  expect(r.ok).toBeTruthy();
  const wasm: string[] = [];
  page.on('request', (req) => {
    if (req.url().endsWith('.wasm')) wasm.push(req.url());
  });
  await page.goto('/organisation/endpoint');
  await page.getByLabel('Live find endpoint URL').fill(`${SIMULATOR}${path}`);
  await page.getByRole('button', { name: 'Save endpoint' }).click();
  await expect(page.getByRole('alert')).toContainText('Your live find endpoint has been saved');
  expect(wasm, 'a page without an island loads no WASM').toEqual([]);

  await page.getByRole('button', { name: 'Test my live find endpoint' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Dry run');
  await expect(page.getByRole('link', { name: 'Check again for the result' })).toBeVisible();
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  expect(wasm.length, 'the page with an island loads the bundle').toBe(1);
  // A mark on the window: gone if the page were reloaded instead of updated in place.
  await page.evaluate(() => ((window as any).__samePage = true));
  await expect(page.getByRole('main')).toContainText('Exchange log', { timeout: 30_000 });
  await expect(page.getByRole('link', { name: 'Check again for the result' })).toHaveCount(0);
  await expect(page.getByRole('main').getByText('Status: Failed')).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'The result is ready.' })).toHaveCount(1);
  expect(await page.evaluate(() => (window as any).__samePage)).toBe(true);
});
