// What a person types, or their password manager fills in, before the page's script has run is
// still there after it has run. On a slow connection (Chromium's network emulation at 1.6 Mbps
// down, 150 ms latency) the fields are filled as soon as the HTML is there; any WASM the page
// asks for is held back until they are filled, so the script always runs after the typing.
import { Page, Route } from '@playwright/test';
import { test, expect, settled } from './fixtures';
import { demoPassword } from '../playwright.config';
import { newOrganisationManager, answerYes, Q1, Q2, Q3 } from './journeys';

test.describe.configure({ timeout: 120_000 });

/// Emulates the slow connection and holds back every WASM download until `release` is called.
async function slowAndHeld(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 150,
    downloadThroughput: 1_600_000 / 8,
    uploadThroughput: 750_000 / 8,
  });
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const held: string[] = [];
  await page.route(/\.wasm$/, async (route: Route) => {
    held.push(route.request().url());
    await released;
    await route.continue();
  });
  return {
    held,
    /// Lets the held downloads go, then waits until the page says its script has finished.
    async finish() {
      release();
      await settled(page, true);
    },
    async fast() {
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: -1,
      });
    },
  };
}

async function openEarly(page: Page, path: string) {
  await page.goto(path, { waitUntil: 'domcontentloaded' });
}

test('the sign-in form keeps what was typed before the page became interactive', async ({ page }) => {
  const net = await slowAndHeld(page);
  await openEarly(page, '/sign-in');
  await page.getByLabel('Email address').fill('manager@demo-pensions.example');
  await page.getByLabel('Password').fill(demoPassword);
  await net.finish();
  await expect(page.getByLabel('Email address')).toHaveValue('manager@demo-pensions.example');
  await expect(page.getByLabel('Password')).toHaveValue(demoPassword);
  expect(net.held, 'the sign-in page has no island, so it loads no WASM').toEqual([]);
  // And the form still works: the values typed early are the ones sent.
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your pension providers and schemes');
});

test('a question, the connection date and a staff form keep early input', async ({ page }) => {
  const suffix = await newOrganisationManager(page, true);
  const net = await slowAndHeld(page);
  const row = page.getByRole('row', { name: new RegExp(`Scheme ${suffix}`) });
  const start = await row.getByRole('link', { name: /Request testing/ }).getAttribute('href');
  const scheme = start!.split('/').pop();

  // A question page's radios.
  await openEarly(page, `/oat/${scheme}/crypto-deployed`);
  await page.getByRole('group', { name: Q1 }).getByLabel('Yes').check();
  await net.finish();
  await expect(page.getByRole('group', { name: Q1 }).getByLabel('Yes')).toBeChecked();
  await page.getByRole('button', { name: 'Continue' }).click();
  await answerYes(page, Q2);
  await answerYes(page, Q3);

  // The connection date.
  const dateUrl = page.url();
  const earliest = (await page.getByLabel('What is your connection date?').getAttribute('min'))!;
  const net2 = await slowAndHeld(page);
  await openEarly(page, dateUrl);
  await page.getByLabel('What is your connection date?').fill(earliest);
  await net2.finish();
  await expect(page.getByLabel('What is your connection date?')).toHaveValue(earliest);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Check your answers before sending your request');

  // A staff form: the admin's new organisation form (a text input and a checkbox).
  await net.fast();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('You have been signed out');
  await page.goto('/sign-in');
  await page.getByLabel('Email address').fill('admin@pdp.example');
  await page.getByLabel('Password').fill(demoPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Organisations');
  const net3 = await slowAndHeld(page);
  await openEarly(page, '/admin/organisations');
  await page.getByLabel('Organisation name').fill(`Early ${suffix}`);
  await page.getByLabel('Pension scheme').check();
  await net3.finish();
  await expect(page.getByLabel('Organisation name')).toHaveValue(`Early ${suffix}`);
  await expect(page.getByLabel('Pension scheme')).toBeChecked();
});
