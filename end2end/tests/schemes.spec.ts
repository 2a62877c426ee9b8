import { Page } from '@playwright/test';
import { test, expect, settled } from './fixtures';
import { switchUser, expectNoAxeViolations, demoPassword } from './journeys';

// Further providers and schemes: Harbour Pensions' vouching scheme is live in the demo data, so
// its service manager can add more; staff approve them.
const HARBOUR = 'manager@harbour-pensions.example';
const STAFF = 'staff@pdp.example';

test.describe.configure({ timeout: 90_000 });

function inDays(days: number): string {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/// A regulator number no other test run uses.
function uniqueNumber(js: boolean | undefined): string {
  return `${js === false ? 'N' : 'J'}${Date.now()}${Math.floor(Math.random() * 1000)}`.slice(0, 20);
}

async function signIn(page: Page, js: boolean | undefined, email: string) {
  await page.goto('/sign-in');
  await settled(page, js);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(demoPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
}

test('a service manager adds a scheme after OAT; staff approve it', async ({ page, javaScriptEnabled }) => {
  const js = javaScriptEnabled;
  const number = uniqueNumber(js);
  const name = `Harbour Extra ${number}`;
  await signIn(page, js, HARBOUR);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your pension providers and schemes');
  await page.getByRole('button', { name: 'Add a pension provider or scheme' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Add a pension provider or scheme');
  await settled(page, js);

  // Nothing filled in: every problem, worded for its field.
  await page.getByRole('button', { name: 'Send for approval' }).click();
  const summary = page.locator('.govuk-error-summary');
  await expect(summary).toContainText('Enter the name of the pension provider or scheme');
  await expect(summary).toContainText('Select the regulator: FCA or TPR');
  await expect(summary).toContainText('Enter the connection date');
  if (js !== false) await expectNoAxeViolations(page);

  await page.getByLabel('Name of the pension provider or scheme').fill(name);
  await page.getByLabel('Financial Conduct Authority (FCA)').check();
  await page.getByLabel('Regulator number').fill(number);
  await page.getByLabel('Connection date').fill(inDays(20));
  await page.getByRole('button', { name: 'Send for approval' }).click();
  await expect(page.getByRole('alert')).toContainText(`${name} sent to the Pensions Dashboards Programme for approval`);
  const row = page.getByRole('row', { name: new RegExp(name) });
  await expect(row).toContainText('Awaiting approval');

  await switchUser(page, js, STAFF, demoPassword);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('OAT requests');
  await page.getByRole('link', { name: 'Schemes waiting for approval' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Schemes waiting for approval');
  await page.getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
  await settled(page, js);
  if (js !== false) await expectNoAxeViolations(page);
  await page.getByLabel('Approve: it goes live on the connection date asked for').check();
  await page.getByRole('button', { name: 'Save decision' }).click();
  await expect(page.getByRole('alert')).toContainText(`${name} approved: it goes live on`);

  await switchUser(page, js, HARBOUR, demoPassword);
  await expect(page.getByRole('row', { name: new RegExp(name) })).toContainText('Go-live date confirmed');
});

test('a CSV file with a bad row adds nothing; the corrected file adds every row', async ({ page, javaScriptEnabled }) => {
  const js = javaScriptEnabled;
  const a = uniqueNumber(js);
  const b = `${a.slice(0, 18)}B`;
  await signIn(page, js, HARBOUR);
  await page.goto('/organisation/schemes/upload');
  await settled(page, js);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Upload pension providers and schemes');
  await expect(page.getByRole('main')).toContainText('If any row has a problem, we add none of the file');

  const header = 'name,regulator,regulator_number,connection_date\n';
  const bad = `${header}Upload One ${a},FCA,${a},${inDays(30)}\nUpload Two ${a},PRA,${b},${inDays(30)}\n`;
  await page.getByLabel('Upload a CSV file').setInputFiles({ name: 'schemes.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  await page.getByRole('button', { name: 'Upload file' }).click();
  await expect(page.locator('.govuk-error-summary')).toContainText('1 row of the selected file has a problem: nothing was added');
  const table = page.getByRole('table', { name: /Rows to correct in schemes.csv/ });
  await expect(table).toContainText('Select the regulator: FCA or TPR');
  await expect(table.getByRole('row', { name: /Upload Two/ })).toContainText('3');
  if (js !== false) await expectNoAxeViolations(page);

  const good = bad.replace(',PRA,', ',TPR,');
  await page.getByLabel('Upload a CSV file').setInputFiles({ name: 'schemes.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
  await page.getByRole('button', { name: 'Upload file' }).click();
  await expect(page.getByRole('alert')).toContainText('2 pension providers and schemes sent to the Pensions Dashboards Programme for approval');
  await expect(page.getByRole('row', { name: new RegExp(`Upload One ${a}`) })).toContainText('Awaiting approval');
  await expect(page.getByRole('row', { name: new RegExp(`Upload Two ${a}`) })).toContainText('Awaiting approval');
});

test('before OAT passes, the page says why schemes cannot be added yet', async ({ page, javaScriptEnabled }) => {
  await signIn(page, javaScriptEnabled, 'contact@demo-pensions.example');
  await page.goto('/organisation/schemes/add');
  await settled(page, javaScriptEnabled);
  await expect(page.getByRole('main')).toContainText('once your vouching scheme, Demo Workplace Pension Scheme, has passed operational acceptance testing');
  await expect(page.getByRole('button', { name: 'Send for approval' })).toHaveCount(0);
});
