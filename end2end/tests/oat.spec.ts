import { test, expect, settled } from './fixtures';
import { demoPassword } from '../playwright.config';
import { newOrganisationManager, answerYes, expectNoAxeViolations, signIn, Q1, Q2, Q3 } from './journeys';

// Each test first makes its own organisation and manager through the admin pages.
test.describe.configure({ timeout: 90_000 });


test('a service manager requests OAT from start to finish', async ({ page, javaScriptEnabled }) => {
  const suffix = await newOrganisationManager(page, javaScriptEnabled);
  const row = page.getByRole('row', { name: new RegExp(`Scheme ${suffix}`) });
  await expect(row).toContainText('Not requested');
  await expect(row).toContainText('Not set');
  await row.getByRole('link', { name: /Request testing/ }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Request operational acceptance testing');
  await expect(page.getByRole('main')).toContainText('synthetic find request');
  await page.getByRole('button', { name: 'Start now' }).click();
  await answerYes(page, Q1);
  await answerYes(page, Q2);
  await answerYes(page, Q3);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('What is your connection date?');
  const dateInput = page.getByLabel('What is your connection date?');
  const earliest = (await dateInput.getAttribute('min'))!;
  await expect(page.getByText(/The earliest date you can choose is/)).toBeVisible();
  await dateInput.fill(earliest);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Check your answers before sending your request');
  // Change keeps answers and comes back to check answers.
  await page.getByRole('link', { name: `Change answer to: ${Q2}` }).click();
  await expect(page.getByRole('group', { name: Q2 }).getByLabel('Yes')).toBeChecked();
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Check your answers before sending your request');
  // Back from the date page keeps the date too.
  await page.getByRole('link', { name: 'Change connection date' }).click();
  await expect(page.getByLabel('What is your connection date?')).toHaveValue(earliest);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Send request' }).dblclick();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Request sent');
  await expect(page.locator('.govuk-panel__body')).toContainText(/OAT-\d{4}-\d{6}/);
  if (javaScriptEnabled !== false) await expectNoAxeViolations(page);
  await page.getByRole('link', { name: 'Follow your request' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(/Request OAT-\d{4}-\d{6}/);
  if (javaScriptEnabled !== false) await expectNoAxeViolations(page);
  await expect(page.getByRole('main')).toContainText('Requested');
  await page.goto('/organisation');
  const after = page.getByRole('row', { name: new RegExp(`Scheme ${suffix}`) });
  await expect(after).toContainText('Requested');
  await expect(after.getByRole('link', { name: /View request/ })).toHaveCount(1);
  // The double click made exactly one request: staff see one in the audit log.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('You have been signed out');
  await signIn(page, javaScriptEnabled, 'staff@pdp.example');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('OAT requests');
  await page.goto(`/staff/audit?action=oat_requested&email=mo-${suffix}%40oat-test.example`);
  await expect(page.getByRole('table').locator('tbody tr')).toHaveCount(1);
});

test('answering no explains what to do and sends nothing', async ({ page, javaScriptEnabled }) => {
  await newOrganisationManager(page, javaScriptEnabled);
  await page.getByRole('link', { name: /Request testing/ }).click();
  await page.getByRole('button', { name: 'Start now' }).click();
  await answerYes(page, Q1);
  await page.getByRole('group', { name: Q2 }).getByLabel('No').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('You cannot request operational acceptance testing yet');
  await page.getByRole('link', { name: 'Go to your pension providers and schemes' }).click();
  await expect(page.getByRole('table')).toContainText('Not requested');
});

test('each date error is shown in GOV.UK words', async ({ page, javaScriptEnabled }) => {
  await newOrganisationManager(page, javaScriptEnabled);
  await page.getByRole('link', { name: /Request testing/ }).click();
  await page.getByRole('button', { name: 'Start now' }).click();
  await answerYes(page, Q1);
  await answerYes(page, Q2);
  await answerYes(page, Q3);
  const dateInput = page.getByLabel('What is your connection date?');
  const earliest = (await dateInput.getAttribute('min'))!;
  const max = (await dateInput.getAttribute('max'))!;
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('alert')).toContainText('Enter the connection date');
  await expect(page).toHaveTitle(/^Error: What is your connection date\?/);
  const dayBefore = new Date(`${earliest}T12:00:00Z`);
  dayBefore.setUTCDate(dayBefore.getUTCDate() - 1);
  await page.getByLabel('What is your connection date?').fill(dayBefore.toISOString().slice(0, 10));
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('alert')).toContainText('Connection date must be the same as or after');
  const dayAfter = new Date(`${max}T12:00:00Z`);
  dayAfter.setUTCDate(dayAfter.getUTCDate() + 1);
  await page.getByLabel('What is your connection date?').fill(dayAfter.toISOString().slice(0, 10));
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('alert')).toContainText('This portal accepts connection dates up to');
  await page.getByLabel('What is your connection date?').fill(earliest);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Check your answers before sending your request');
});

test('the questions can be answered with the keyboard alone', async ({ page, javaScriptEnabled }) => {
  await newOrganisationManager(page, javaScriptEnabled);
  await page.getByRole('link', { name: /Request testing/ }).click();
  await page.getByRole('button', { name: 'Start now' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(Q1);
  await page.getByRole('group', { name: Q1 }).getByLabel('Yes').focus();
  await page.keyboard.press('Space');
  await expect(page.getByRole('group', { name: Q1 }).getByLabel('Yes')).toBeChecked();
  // Tab leaves the radio group for the next control: Continue.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Continue' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(Q2);
});
