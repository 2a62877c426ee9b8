import { Page } from '@playwright/test';
import { test, expect, settled } from './fixtures';
import { demoPassword } from '../playwright.config';
import { signIn } from './journeys';

const MANAGER = 'manager@demo-pensions.example';
const STAFF = 'staff@pdp.example';
const ADMIN = 'admin@pdp.example';

test('a service manager signs in and out', async ({ page, javaScriptEnabled }) => {
  await signIn(page, javaScriptEnabled, MANAGER);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your pension providers and schemes');
  await expect(page).toHaveURL(/\/organisation$/);
  await expect(page.getByText('Signed in as Sam Manager')).toBeVisible();
  await expect(page.getByRole('main')).toContainText('Demo Pensions Ltd');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('You have been signed out');
  await expect(page.getByRole('link', { name: 'Sign in', exact: true })).toBeVisible();
  // The organisation page now asks for sign-in again, and comes back after it.
  await page.goto('/organisation');
  await expect(page).toHaveURL(/\/sign-in\?next=\/organisation$/);
  await settled(page, javaScriptEnabled);
  await page.getByLabel('Email address').fill(MANAGER);
  await page.getByLabel('Password').fill(demoPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your pension providers and schemes');
});

test('a wrong password shows one generic error and keeps the email', async ({ page, javaScriptEnabled }) => {
  await signIn(page, javaScriptEnabled, MANAGER, 'not the right password');
  const summary = page.getByRole('alert');
  await expect(summary).toContainText('There is a problem');
  const link = summary.getByRole('link', { name: 'Enter a correct email address and password' });
  await expect(link).toBeVisible();
  await expect(page).toHaveTitle(/^Error: Sign in/);
  await expect(page.getByLabel('Email address')).toHaveValue(MANAGER);
  await expect(page.getByLabel('Password')).toHaveValue('');
  await link.click();
  await expect(page.getByLabel('Email address')).toBeFocused();
});

test('staff reach the audit log and see their own sign-in', async ({ page, javaScriptEnabled }) => {
  await signIn(page, javaScriptEnabled, STAFF);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('OAT requests');
  await page.getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Audit log');
  await page.getByLabel('Event').selectOption('sign_in_succeeded');
  await page.getByLabel('Email address').fill(STAFF);
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/action=sign_in_succeeded/);
  await expect(page.getByRole('table')).toContainText(STAFF);
});

test('an admin adds an organisation and invites its service manager', async ({ page, javaScriptEnabled }) => {
  const suffix = `${javaScriptEnabled === false ? 'nojs' : 'js'}-${Date.now()}`;
  await signIn(page, javaScriptEnabled, ADMIN);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Organisations');
  // Nothing chosen: errors, values kept.
  await page.getByLabel('Organisation name').fill(`Acme ${suffix}`);
  await page.getByRole('button', { name: 'Add organisation' }).click();
  await expect(page.getByRole('alert')).toContainText('Select the type of organisation');
  await expect(page.getByLabel('Organisation name')).toHaveValue(`Acme ${suffix}`);
  await page.getByLabel('Pension scheme').check();
  await page.getByRole('button', { name: 'Add organisation' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Acme ${suffix}`);
  await expect(page.getByRole('alert')).toContainText(`Acme ${suffix} added`);
  await page.getByLabel('Full name').fill('Jo Manager');
  await page.getByLabel('Email address').fill(`jo-${suffix}@acme.example`);
  await page.getByLabel('Service manager').check();
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await expect(page.getByRole('alert')).toContainText(`Invitation sent to jo-${suffix}@acme.example`);
  await expect(page.getByRole('table')).toContainText('Invited');
});

test('an organisation user cannot open staff pages', async ({ page, javaScriptEnabled }) => {
  await signIn(page, javaScriptEnabled, MANAGER);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your pension providers and schemes');
  const response = await page.goto('/staff/audit');
  expect(response?.status()).toBe(403);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('You do not have permission to view this page');
});
