import { readFileSync } from 'node:fs';
import { Page, Locator } from '@playwright/test';
import { test, expect } from './fixtures';
import { newOrganisationManager, sendRequest, switchUser, expectNoAxeViolations, demoPassword } from './journeys';

// The demo's find-endpoint simulator (see playwright.config.ts): each test answers on its own
// path, so tests running at once never share an answer.
const SIMULATOR = 'https://127.0.0.1:3113';
const CONTROL = 'http://127.0.0.1:3114';

test.describe.configure({ timeout: 120_000 });

async function setAnswer(path: string, answer: string) {
  const r = await fetch(`${CONTROL}/answer?path=${encodeURIComponent(path)}`, { method: 'PUT', body: answer });
  expect(r.ok, await r.text()).toBeTruthy();
}

/// Follows a download link and returns the file's name and text.
async function download(page: Page, link: Locator): Promise<{ name: string; text: string }> {
  const [file] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const path = await file.path();
  return { name: file.suggestedFilename(), text: readFileSync(path, 'utf8') };
}

async function recordEndpoint(page: Page, url: string, js: boolean | undefined) {
  await page.goto('/organisation/endpoint');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your live find endpoint');
  // Bad input: a specific message, nothing saved.
  await page.getByLabel('Live find endpoint URL').fill('http://pensions.example/find-requests');
  await page.getByRole('button', { name: 'Save endpoint' }).click();
  await expect(page.locator('.govuk-error-summary')).toContainText('Enter a URL that starts with https://');
  if (js !== false) await expectNoAxeViolations(page);
  await page.getByLabel('Live find endpoint URL').fill(url);
  await page.getByRole('button', { name: 'Save endpoint' }).click();
  await expect(page.getByRole('alert')).toContainText('Your live find endpoint has been saved');
  if (js !== false) await expectNoAxeViolations(page);
}

test('a dry run fails with a plain-English cause, then passes once the endpoint answers 202', async ({ page, javaScriptEnabled }) => {
  const js = javaScriptEnabled;
  const suffix = await newOrganisationManager(page, js);
  const path = `/${suffix}/find-requests`;
  await setAnswer(path, '200');
  await recordEndpoint(page, `${SIMULATOR}${path}`, js);

  await page.getByRole('button', { name: 'Test my live find endpoint' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Dry run');
  await expect(page.getByRole('main')).toContainText('PDP expects 202 Accepted', { timeout: 20_000 });
  await expect(page.getByRole('main')).toContainText('Exchange log');
  if (js !== false) await expectNoAxeViolations(page);

  // The organisation fixes its endpoint; dry runs are at least 10 seconds apart.
  await setAnswer(path, '202');
  await page.waitForTimeout(10_500);
  await page.goto('/organisation/endpoint');
  await page.getByRole('button', { name: 'Test my live find endpoint' }).click();
  await expect(page.getByRole('main')).toContainText('Your endpoint acknowledged the find request with 202 Accepted', { timeout: 20_000 });
  await expect(page.getByRole('main')).toContainText('TLSv1.3');
  if (js !== false) await expectNoAxeViolations(page);
});

test('staff run the official test and confirm the go-live date from its result', async ({ page, javaScriptEnabled }) => {
  const js = javaScriptEnabled;
  const suffix = await newOrganisationManager(page, js);
  const path = `/${suffix}/find-requests`;
  await setAnswer(path, '202');
  await recordEndpoint(page, `${SIMULATOR}${path}`, js);
  await page.goto('/organisation');
  const reference = await sendRequest(page, suffix);

  await switchUser(page, js, 'staff@pdp.example', demoPassword);
  await page.getByLabel('Organisation, scheme or reference').fill(reference);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByRole('link', { name: reference }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Request ${reference}`);
  await page.getByRole('button', { name: 'Schedule the connectivity test' }).click();
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + 2);
  await page.getByLabel('Date of the test').fill(d.toISOString().slice(0, 10));
  await page.getByLabel('Time of the test (UK time)').fill('2:30pm');
  await page.getByRole('button', { name: 'Schedule the test' }).click();
  await expect(page.getByRole('alert')).toContainText('Connectivity test scheduled for');
  const requestPage = page.url();
  // The booked test as a calendar file.
  const test = await download(page, page.getByRole('link', { name: 'Add the connectivity test to your calendar' }));
  expect(test.name).toBe('test.ics');
  expect(test.text).toContain('BEGIN:VCALENDAR');
  expect(test.text).toMatch(/UID:oat-request-\d+-test-1@/);
  // The weeks ahead list it (the staff area's sub-navigation leads there).
  await page.goto('/staff');
  await page.getByRole('navigation', { name: 'Programme staff pages' }).getByRole('link', { name: 'Upcoming' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Upcoming tests and go-lives');
  await expect(page.getByRole('row', { name: new RegExp(reference) })).toContainText('at 2:30pm');
  if (js !== false) await expectNoAxeViolations(page);
  await page.goto(requestPage);

  await page.getByRole('button', { name: 'Run the connectivity test' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Official connectivity test');
  await expect(page.getByRole('button', { name: 'Record the test as passed' })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByRole('main')).toContainText('Your endpoint acknowledged the find request with 202 Accepted');
  if (js !== false) await expectNoAxeViolations(page);
  const runPage = page.url();
  // Its evidence: signed, and laid out to print.
  const signed = await download(page, page.getByRole('link', { name: /^Download the signed evidence of run \d+/ }));
  expect(signed.name).toMatch(/^evidence-run-\d+\.jws$/);
  expect(signed.text.split('.')).toHaveLength(3);
  await page.getByRole('link', { name: /^Evidence of connectivity run \d+, to read or print/ }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/^Evidence of connectivity run \d+$/);
  await expect(page.getByRole('main')).toContainText('Official connectivity test');
  await expect(page.getByRole('main')).toContainText('TLS cipher suite');
  await expect(page.getByRole('main')).toContainText('127.0.0.1:3113');
  await expect(page.getByRole('main')).toContainText('jose jws ver -i evidence-run-');
  if (js !== false) await expectNoAxeViolations(page);
  await page.goto(runPage);
  await page.getByRole('button', { name: 'Record the test as passed' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Confirm the go-live date');
  await page.getByRole('button', { name: 'Confirm the go-live date' }).click();
  await expect(page.getByRole('alert')).toContainText('Go-live date confirmed');
  // The go-live date as a calendar file, and the run's evidence on the timeline.
  const goLive = await download(page, page.getByRole('link', { name: 'Add the go-live date to your calendar' }));
  expect(goLive.name).toBe('go-live.ics');
  expect(goLive.text).toContain('DTSTART;VALUE=DATE:');
  await expect(page.getByRole('link', { name: /^Evidence of connectivity run \d+$/ })).toBeVisible();
  await page.goto('/staff/upcoming');
  await expect(page.getByRole('row', { name: new RegExp(reference) })).toContainText('Go-live');
});
