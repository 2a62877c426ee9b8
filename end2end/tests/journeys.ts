// Journeys several spec files share: a fresh organisation and manager, the OAT questions, axe.
import { Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { expect, settled, signingOut } from './fixtures';
import { demoPassword } from '../playwright.config';

export const Q1 = 'Has your crypto material been deployed?';
export const Q2 = 'Is your connection ready to be tested?';
export const Q3 = 'Is your organisation ready to transition into the live environment?';
export const MANAGER_PASSWORD = 'violet kettle marathon';

/// Opens the sign-in page and signs in as `email` (the demo password unless given).
export async function signIn(page: Page, js: boolean | undefined, email: string, password = demoPassword) {
  await page.goto('/sign-in');
  await settled(page, js);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/// Makes a fresh organisation with a vouching scheme and a service manager (through the admin
/// pages and the invitation email, as people would), and leaves the page signed in as that
/// manager on their overview. Each test gets its own, so tests never share a request.
export async function newOrganisationManager(page: Page, js: boolean | undefined): Promise<string> {
  const suffix = `${js === false ? 'nojs' : 'js'}${Date.now()}${Math.floor(Math.random() * 1000)}`;
  const email = `mo-${suffix}@oat-test.example`;
  await signIn(page, js, 'admin@pdp.example');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Organisations');
  await page.getByLabel('Organisation name').fill(`Org ${suffix}`);
  await page.getByLabel('Pension scheme').check();
  await page.getByRole('button', { name: 'Add organisation' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Org ${suffix}`);
  await page.getByLabel('Name of the pension provider or scheme').fill(`Scheme ${suffix}`);
  await page.getByLabel('The Pensions Regulator (TPR)').check();
  await page.getByLabel('Regulator number').fill('10099999');
  await page.getByRole('button', { name: 'Add vouching scheme' }).click();
  await expect(page.getByRole('alert')).toContainText('added as the vouching scheme');
  await page.getByLabel('Full name').fill('Mo Manager');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Service manager').check();
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await expect(page.getByRole('alert')).toContainText(`Invitation sent to ${email}`);
  await acceptInvitation(page, js, email, 'violet kettle marathon');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill('violet kettle marathon');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your pension providers and schemes');
  return suffix;
}

/// As the admin who just invited `email` (demo mode shows sent emails), signs out, opens the
/// invitation link and sets `password`; leaves the page on "Sign in".
export async function acceptInvitation(page: Page, js: boolean | undefined, email: string, password: string) {
  await page.goto('/staff/emails');
  const body = await page.locator('.govuk-summary-card', { hasText: email }).locator('pre').innerText();
  const link = body.split('\n').find((l) => l.includes('/invitation/'))!.trim();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('You have been signed out');
  await page.goto(new URL(link).pathname);
  await settled(page, js);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sign in');
}

export async function answerYes(page: Page, question: string) {
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(question);
  await page.getByRole('group', { name: question }).getByLabel('Yes').check();
  await page.getByRole('button', { name: 'Continue' }).click();
}

export async function expectNoAxeViolations(page: Page) {
  await settled(page, true);
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
    .analyze();
  expect(results.violations.map((v) => `${page.url()} ${v.id}: ${v.help}`)).toEqual([]);
}


/// From the overview, sends a request for the new organisation's scheme; returns its reference.
export async function sendRequest(page: Page, suffix: string): Promise<string> {
  await page.getByRole('row', { name: new RegExp(`Scheme ${suffix}`) }).getByRole('link', { name: /Request testing|View request/ }).click();
  await page.getByRole('button', { name: 'Start now' }).click();
  await answerYes(page, Q1);
  await answerYes(page, Q2);
  await answerYes(page, Q3);
  const dateInput = page.getByLabel('What is your connection date?');
  await dateInput.fill((await dateInput.getAttribute('min'))!);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Send request' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Request sent');
  const reference = (await page.locator('.govuk-panel__body strong').innerText()).trim();
  expect(reference).toMatch(/^OAT-\d{4}-\d{6}$/);
  return reference;
}

/// Signs out whoever is signed in and signs in as `email`.
export async function switchUser(page: Page, js: boolean | undefined, email: string, password: string) {
  // A fetch of the page being left that is still on its way when the session ends is refused
  // (401): expected here, and only here.
  signingOut.add(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('You have been signed out');
  await page.goto('/sign-in');
  signingOut.delete(page);
  await settled(page, js);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export { demoPassword };
