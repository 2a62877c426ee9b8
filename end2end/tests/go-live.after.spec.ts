import { Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { startSecondPortal } from './second-portal';
import { newOrganisationManager, sendRequest, switchUser, expectNoAxeViolations, demoPassword, MANAGER_PASSWORD } from './journeys';

// Runs after every other browser test (see the "after" projects in playwright.config.ts): it
// starts a second portal on the same database whose clock runs 60 days ahead, and that portal's
// go-live job makes every confirmed scheme live, whoever's test it belongs to.
test.describe.configure({ timeout: 120_000 });

test('on its confirmed go-live date the scheme goes live, and the service manager sees it', async ({ page, javaScriptEnabled }) => {
  const js = javaScriptEnabled;
  const suffix = await newOrganisationManager(page, js);
  const manager = `mo-${suffix}@oat-test.example`;
  const reference = await sendRequest(page, suffix);

  await switchUser(page, js, 'staff@pdp.example', demoPassword);
  await page.getByLabel('Organisation, scheme or reference').fill(reference);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByRole('link', { name: reference }).click();
  await page.getByRole('button', { name: 'Record the outcome' }).click();
  await page.getByLabel('Passed: it answered 202 Accepted').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Confirm the go-live date' }).click();
  await expect(page.getByRole('alert')).toContainText('Go-live date confirmed');

  // Sixty days on, as far as the second portal can tell: its go-live job runs as it starts.
  const ahead = await startSecondPortal(js === false ? 3118 : 3117, { PORTAL_CLOCK_OFFSET_DAYS: '60' });
  try {
    await switchUser(page, js, manager, MANAGER_PASSWORD);
    await expect(async () => {
      await page.reload();
      await expect(row(page, suffix)).toContainText('Live', { timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
  } finally {
    ahead.kill('SIGTERM');
  }
  await expect(row(page, suffix)).not.toContainText('Go-live date confirmed');
  if (js !== false) await expectNoAxeViolations(page);
  await row(page, suffix).getByRole('link', { name: /View request/ }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(reference);
  await expect(page.getByRole('main')).toContainText('Scheme live');
  if (js !== false) await expectNoAxeViolations(page);
});

/// The service manager's overview row for the test's scheme.
function row(page: Page, suffix: string) {
  return page.getByRole('row', { name: new RegExp(`Scheme ${suffix}`) });
}
