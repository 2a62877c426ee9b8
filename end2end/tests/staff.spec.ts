import { Page } from '@playwright/test';
import { test, expect } from './fixtures';
import {
  newOrganisationManager, sendRequest, switchUser, answerYes, expectNoAxeViolations,
  demoPassword, MANAGER_PASSWORD, Q1, Q2, Q3,
} from './journeys';

// Each test walks several people through a whole journey.
test.describe.configure({ timeout: 120_000 });

/// A date `days` from today as YYYY-MM-DD (UTC is close enough for a future test date).
function inDays(days: number): string {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/// As staff, finds the request in the queue by its reference and opens it.
async function openFromQueue(page: Page, reference: string, js: boolean | undefined) {
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('OAT requests');
  if (js !== false) await expectNoAxeViolations(page);
  await page.getByLabel('Organisation, scheme or reference').fill(reference);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page.getByRole('table')).toContainText(reference);
  await page.getByRole('link', { name: reference }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Request ${reference}`);
  if (js !== false) await expectNoAxeViolations(page);
}

async function scheduleTest(page: Page, js: boolean | undefined) {
  await page.getByRole('button', { name: 'Schedule the connectivity test' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Schedule the connectivity test');
  // An empty form is an error, worded for the field.
  await page.getByRole('button', { name: 'Schedule the test' }).click();
  await expect(page.locator('.govuk-error-summary')).toContainText('Enter the date of the test');
  if (js !== false) await expectNoAxeViolations(page);
  await page.getByLabel('Date of the test').fill(inDays(2));
  await page.getByLabel('Time of the test (UK time)').fill('2:30pm');
  await page.getByRole('button', { name: 'Schedule the test' }).click();
  await expect(page.getByRole('alert')).toContainText('Connectivity test scheduled for');
  await expect(page.getByRole('main')).toContainText('Test scheduled');
}

test('staff record a pass and confirm the go-live date; the manager sees it', async ({ page, javaScriptEnabled }) => {
  const js = javaScriptEnabled;
  const suffix = await newOrganisationManager(page, js);
  const reference = await sendRequest(page, suffix);
  await switchUser(page, js, 'staff@pdp.example', demoPassword);
  await openFromQueue(page, reference, js);
  await scheduleTest(page, js);
  await page.getByRole('button', { name: 'Record the outcome' }).click();
  await page.getByLabel('Passed: it answered 202 Accepted').check();
  if (js !== false) await expectNoAxeViolations(page);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Confirm the go-live date');
  await expect(page.getByRole('main')).toContainText('The connectivity test passed');
  await expect(page.getByLabel(/The requested connection date/)).toBeChecked();
  if (js !== false) await expectNoAxeViolations(page);
  await page.getByRole('button', { name: 'Confirm the go-live date' }).click();
  await expect(page.getByRole('alert')).toContainText('Go-live date confirmed');
  await expect(page.getByRole('main')).toContainText('Go-live date confirmed');
  await switchUser(page, js, `mo-${suffix}@oat-test.example`, MANAGER_PASSWORD);
  const row = page.getByRole('row', { name: new RegExp(`Scheme ${suffix}`) });
  await expect(row).toContainText('Go-live date confirmed');
  await expect(row).not.toContainText('Not set');
});

test('a failed test with a support session, then a re-test request', async ({ page, javaScriptEnabled }) => {
  const js = javaScriptEnabled;
  const suffix = await newOrganisationManager(page, js);
  const reference = await sendRequest(page, suffix);
  await switchUser(page, js, 'staff@pdp.example', demoPassword);
  await openFromQueue(page, reference, js);
  await page.getByRole('button', { name: 'Record the outcome' }).click();
  await page.getByLabel('Failed').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Why did the test fail?');
  await page.getByRole('button', { name: 'Record the failure' }).click();
  await expect(page.locator('.govuk-error-summary')).toContainText('Enter why the test failed');
  if (js !== false) await expectNoAxeViolations(page);
  await page.getByLabel('Reason').fill('Your endpoint answered 200; PDP expects 202 Accepted');
  await page.getByLabel('Date', { exact: true }).fill(inDays(3));
  await page.getByLabel('Time (UK time)').fill('10:00');
  await page.getByLabel('How to join').fill('https://meet.example/oat-support');
  await page.getByRole('button', { name: 'Record the failure' }).click();
  await expect(page.getByRole('alert')).toContainText('the test failed');
  await switchUser(page, js, `mo-${suffix}@oat-test.example`, MANAGER_PASSWORD);
  const row = page.getByRole('row', { name: new RegExp(`Scheme ${suffix}`) });
  await expect(row).toContainText('Failed');
  await row.getByRole('link', { name: /View request/ }).click();
  await expect(page.getByRole('main')).toContainText('Your endpoint answered 200; PDP expects 202 Accepted');
  await expect(page.getByRole('main')).toContainText('https://meet.example/oat-support');
  if (js !== false) await expectNoAxeViolations(page);
  await page.getByRole('button', { name: 'Send a re-test request' }).click();
  await page.getByRole('button', { name: 'Start now' }).click();
  await answerYes(page, Q1);
  await answerYes(page, Q2);
  await answerYes(page, Q3);
  const dateInput = page.getByLabel('What is your connection date?');
  await dateInput.fill((await dateInput.getAttribute('min'))!);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Send request' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Request sent');
  await page.getByRole('link', { name: 'Follow your request' }).click();
  await expect(page.getByRole('main')).toContainText('Re-test requested');
  await expect(page.getByRole('link', { name: reference })).toBeVisible();
});

test('a service manager asks to change the connection date and staff approve it', async ({ page, javaScriptEnabled }) => {
  const js = javaScriptEnabled;
  const suffix = await newOrganisationManager(page, js);
  const reference = await sendRequest(page, suffix);
  await page.getByRole('link', { name: 'Follow your request' }).click();
  await page.getByRole('link', { name: 'Change connection date' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Change your connection date');
  await page.getByRole('button', { name: 'Ask to change the date' }).click();
  await expect(page.locator('.govuk-error-summary')).toContainText('Enter the new connection date');
  if (js !== false) await expectNoAxeViolations(page);
  await page.getByLabel('New connection date').fill(inDays(40));
  await page.getByLabel('Why do you need to change it?').fill('Our infrastructure is being updated');
  await page.getByRole('button', { name: 'Ask to change the date' }).click();
  await expect(page.getByRole('alert')).toContainText('Your request to change the connection date has been sent');
  await switchUser(page, js, 'staff@pdp.example', demoPassword);
  await openFromQueue(page, reference, js);
  await page.getByRole('button', { name: 'Decide on the change of connection date' }).click();
  await page.getByLabel('Approve: the connection date becomes the new date').check();
  if (js !== false) await expectNoAxeViolations(page);
  await page.getByRole('button', { name: 'Send decision' }).click();
  await expect(page.getByRole('alert')).toContainText('Change approved');
});
