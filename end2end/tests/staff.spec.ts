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

test('after a failure: a support session, ready for a re-test, a second round that passes, the go-live date', async ({ page, javaScriptEnabled }) => {
  const js = javaScriptEnabled;
  const axe = async () => { if (js !== false) await expectNoAxeViolations(page); };
  const suffix = await newOrganisationManager(page, js);
  const manager = `mo-${suffix}@oat-test.example`;
  const reference = await sendRequest(page, suffix);
  await switchUser(page, js, 'staff@pdp.example', demoPassword);
  await openFromQueue(page, reference, js);
  await page.getByRole('button', { name: 'Record the outcome' }).click();
  await page.getByLabel('Failed').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Why did the test fail?');
  await page.getByRole('button', { name: 'Record the failure' }).click();
  await expect(page.locator('.govuk-error-summary')).toContainText('Enter why the test failed');
  await axe();
  await page.getByLabel('Reason').fill('Your endpoint answered 200; PDP expects 202 Accepted');
  await page.getByRole('button', { name: 'Record the failure' }).click();
  await expect(page.getByRole('alert')).toContainText('the test failed');

  // The service manager asks for a support session on the same request.
  await switchUser(page, js, manager, MANAGER_PASSWORD);
  const row = page.getByRole('row', { name: new RegExp(`Scheme ${suffix}`) });
  await expect(row).toContainText('Failed');
  await row.getByRole('link', { name: /View request/ }).click();
  await expect(page.getByRole('main')).toContainText('Connectivity test 1 did not pass: Your endpoint answered 200; PDP expects 202 Accepted');
  await axe();
  await page.getByRole('link', { name: 'Ask for a support session' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ask for a support session');
  await page.getByRole('button', { name: 'Ask for a support session' }).click();
  await expect(page.locator('.govuk-error-summary')).toContainText('Enter what you need from the support session');
  await axe();
  await page.getByLabel('What do you need, and when are you free?').fill('Why was the answer refused? Free on mornings');
  await page.getByRole('button', { name: 'Ask for a support session' }).click();
  await expect(page.getByRole('alert')).toContainText('You have asked for a support session');

  // Staff find it by the queue's filter and book it.
  await switchUser(page, js, 'staff@pdp.example', demoPassword);
  await page.getByLabel('Status').selectOption('support_asked');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page.getByRole('table')).toContainText(reference);
  await page.getByRole('link', { name: reference }).click();
  await expect(page.getByRole('main')).toContainText('Why was the answer refused? Free on mornings');
  await page.getByRole('button', { name: 'Arrange a support session' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Arrange a support session');
  await axe();
  await page.getByLabel('Date', { exact: true }).fill(inDays(3));
  await page.getByLabel('Time (UK time)').fill('10:00');
  await page.getByLabel('How to join').fill('https://meet.example/oat-support');
  await page.getByRole('button', { name: 'Book the support session' }).click();
  await expect(page.getByRole('alert')).toContainText('Support session arranged for');

  // The manager sees it, then says they are ready for a re-test.
  await switchUser(page, js, manager, MANAGER_PASSWORD);
  await page.getByRole('row', { name: new RegExp(`Scheme ${suffix}`) }).getByRole('link', { name: /View request/ }).click();
  await expect(page.getByRole('main')).toContainText('https://meet.example/oat-support');
  await page.getByRole('button', { name: 'Tell PDP you are ready for a re-test' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Tell PDP you are ready for a re-test');
  await axe();
  await page.getByLabel('What did you fix? (optional)').fill('We now answer 202 Accepted');
  await page.getByRole('button', { name: 'Tell PDP you are ready' }).click();
  await expect(page.getByRole('alert')).toContainText('ready for a re-test');

  // Staff book round 2 on the same request; it passes; they confirm the go-live date.
  await switchUser(page, js, 'staff@pdp.example', demoPassword);
  await page.getByLabel('Status').selectOption('ready_for_retest');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByRole('link', { name: reference }).click();
  await expect(page.getByRole('main')).toContainText('We now answer 202 Accepted');
  await page.getByRole('button', { name: 'Book the re-test' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Book the re-test');
  await axe();
  await page.getByLabel('Date of the test').fill(inDays(4));
  await page.getByLabel('Time of the test (UK time)').fill('11:00');
  await page.getByRole('button', { name: 'Schedule the test' }).click();
  await expect(page.getByRole('alert')).toContainText('Re-test (test 2) scheduled for');
  await page.getByRole('button', { name: 'Record the outcome' }).click();
  await page.getByLabel('Passed: it answered 202 Accepted').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Confirm the go-live date');
  await page.getByRole('button', { name: 'Confirm the go-live date' }).click();
  await expect(page.getByRole('alert')).toContainText('Go-live date confirmed');
  await expect(page.getByRole('main')).toContainText('Connectivity test 1 failed');
  await expect(page.getByRole('main')).toContainText('Connectivity test 2 passed');

  // PDP moves the confirmed go-live date, with a reason the organisation sees.
  await page.getByRole('button', { name: 'Move the go-live date' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Move the go-live date');
  await page.getByRole('button', { name: 'Move the go-live date' }).click();
  await expect(page.locator('.govuk-error-summary')).toContainText('Enter the new go-live date');
  await axe();
  await page.getByLabel('New go-live date').fill(inDays(30));
  await page.getByLabel('Why is it moving?').fill('PDP infrastructure is being updated that week');
  await page.getByRole('button', { name: 'Move the go-live date' }).click();
  await expect(page.getByRole('alert')).toContainText('Go-live date moved to');

  // The manager's page numbers the rounds too.
  await switchUser(page, js, manager, MANAGER_PASSWORD);
  const done = page.getByRole('row', { name: new RegExp(`Scheme ${suffix}`) });
  await expect(done).toContainText('Go-live date confirmed');
  await done.getByRole('link', { name: /View request/ }).click();
  await expect(page.getByRole('main')).toContainText('Connectivity test 1 failed');
  await expect(page.getByRole('main')).toContainText('Connectivity test 2 passed');
  await expect(page.getByRole('main')).toContainText('PDP infrastructure is being updated that week');
  await axe();
});

test('a service manager raises a query, staff answer it, and a request is withdrawn', async ({ page, javaScriptEnabled }) => {
  const js = javaScriptEnabled;
  const axe = async () => { if (js !== false) await expectNoAxeViolations(page); };
  const suffix = await newOrganisationManager(page, js);
  const manager = `mo-${suffix}@oat-test.example`;
  const reference = await sendRequest(page, suffix);
  await page.getByRole('link', { name: 'Follow your request' }).click();
  await page.getByRole('link', { name: 'Raise a query' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Raise a query');
  await page.getByRole('button', { name: 'Send the query' }).click();
  await expect(page.locator('.govuk-error-summary')).toContainText('Enter your query');
  await axe();
  await page.getByLabel('Your query').fill(`When will test ${suffix} be booked?`);
  await page.getByRole('button', { name: 'Send the query' }).click();
  await expect(page.getByRole('alert')).toContainText('Your query has been sent');
  await expect(page.getByRole('main')).toContainText(`When will test ${suffix} be booked?`);

  await switchUser(page, js, 'staff@pdp.example', demoPassword);
  await page.getByRole('link', { name: 'Queries', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Queries');
  await axe();
  await page.getByRole('row', { name: new RegExp(`When will test ${suffix} be booked`) }).getByRole('link', { name: /Query \d+/ }).click();
  await page.getByRole('button', { name: 'Send the answer' }).click();
  await expect(page.locator('.govuk-error-summary')).toContainText('Enter your answer to the query');
  await axe();
  await page.getByLabel('Your answer').fill('Within 5 working days');
  await page.getByRole('button', { name: 'Send the answer' }).click();
  await expect(page.getByRole('alert')).toContainText('Answer sent');

  await switchUser(page, js, manager, MANAGER_PASSWORD);
  await page.getByRole('row', { name: new RegExp(`Scheme ${suffix}`) }).getByRole('link', { name: /View request/ }).click();
  await expect(page.getByRole('main')).toContainText('Within 5 working days');
  await page.getByRole('link', { name: 'Withdraw this request' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Withdraw your request');
  await page.getByRole('button', { name: 'Withdraw the request' }).click();
  await expect(page.locator('.govuk-error-summary')).toContainText('Enter why you are withdrawing the request');
  await axe();
  await page.getByLabel('Why are you withdrawing the request?').fill('Our supplier is changing');
  await page.getByRole('button', { name: 'Withdraw the request' }).click();
  await expect(page.getByRole('alert')).toContainText('Request withdrawn');
  await expect(page.getByRole('main')).toContainText('This request was withdrawn: Our supplier is changing');
  await page.getByRole('link', { name: 'Back to your pension providers and schemes' }).click();
  const row = page.getByRole('row', { name: new RegExp(`Scheme ${suffix}`) });
  await expect(row).toContainText('Not requested');
  await expect(row.getByRole('link', { name: /Request testing/ })).toBeVisible();
  void reference;
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
