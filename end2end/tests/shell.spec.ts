import { test, expect, settled, footerPages } from './fixtures';

test('home page says what the portal is for', async ({ page, javaScriptEnabled }) => {
  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  await settled(page, javaScriptEnabled);
  await expect(page).toHaveTitle('Pensions dashboards connection portal');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(
    'Connect to the pensions dashboards ecosystem',
  );
  await expect(page.getByRole('banner').getByRole('link', { name: 'Pensions dashboards connection portal' })).toBeVisible();
  await expect(page.getByRole('main')).toContainText('operational acceptance testing');
});

test('skip link is the first thing a keyboard reaches and moves focus to the content', async ({ page, javaScriptEnabled }) => {
  await page.goto('/');
  await settled(page, javaScriptEnabled);
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to main content' });
  await expect(skip).toBeFocused();
  await expect(skip).toBeVisible();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#main-content$/);
  await expect(page.locator('#main-content')).toBeFocused();
});

for (const { link, path, heading } of footerPages) {
  test(`footer link "${link}" opens its page`, async ({ page, javaScriptEnabled }) => {
    await page.goto('/');
    await settled(page, javaScriptEnabled);
    await page.getByRole('contentinfo').getByRole('link', { name: link, exact: true }).click();
    await expect(page).toHaveURL(path);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(heading);
    await expect(page).toHaveTitle(`${heading} - Pensions dashboards connection portal`);
  });
}

test('an unknown address shows "Page not found" with status 404', async ({ page, javaScriptEnabled }) => {
  const response = await page.goto('/no-such-page');
  expect(response?.status()).toBe(404);
  await settled(page, javaScriptEnabled);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page not found');
  await expect(page).toHaveTitle('Page not found - Pensions dashboards connection portal');
});
