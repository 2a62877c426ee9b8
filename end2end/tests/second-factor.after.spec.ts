import { test, expect, settled } from './fixtures';
import { acceptInvitation, expectNoAxeViolations, signIn } from './journeys';
import { startSecondPortal, totp } from './second-portal';

// The demo portal lets its shared staff accounts sign in with a password alone; this test
// starts a second portal on the same database that requires a second factor of programme
// staff, as production does. It runs with the other *.after.spec.ts files.
test.describe.configure({ timeout: 120_000 });

const STAFF_PASSWORD = 'amber lantern orchard';

test('new programme staff set up a second factor before anything else, then sign in with a code', async ({ page, javaScriptEnabled }) => {
  const js = javaScriptEnabled;
  const axe = async () => { if (js !== false) await expectNoAxeViolations(page); };
  const email = `kit-${js === false ? 'nojs' : 'js'}${Date.now()}@pdp.example`;

  // An admin invites them; they set a password (on the demo portal).
  await signIn(page, js, 'admin@pdp.example');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Organisations');
  await page.goto('/admin/organisations/programme');
  await page.getByLabel('Full name').fill('Kit Staff');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Programme staff').check();
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await expect(page.getByRole('alert')).toContainText(`Invitation sent to ${email}`);
  await acceptInvitation(page, js, email, STAFF_PASSWORD);

  const port = js === false ? 3120 : 3119;
  const portal = await startSecondPortal(port, { PORTAL_STAFF_SECOND_FACTOR: 'required' });
  const base = `http://127.0.0.1:${port}`;
  const signInThere = async () => {
    await page.goto(`${base}/sign-in`);
    await settled(page, js);
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password').fill(STAFF_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };
  try {
    // The password alone reaches only the set-up page.
    await signInThere();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Set up your second factor');
    await page.goto(`${base}/staff`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Set up your second factor');
    await settled(page, js);
    await expect(page.getByRole('img', { name: 'QR code to scan with your authenticator app' })).toBeVisible();
    await axe();
    const secret = await page.locator('.portal-secret code').innerText();
    await page.getByLabel('Security code').fill('000000');
    await page.getByRole('button', { name: 'Confirm and continue' }).click();
    await expect(page.locator('.govuk-error-summary')).toContainText('The code does not match');
    await axe();
    await page.getByLabel('Security code').fill(totp(secret));
    await page.getByRole('button', { name: 'Confirm and continue' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Second factor set up');
    const recoveryCodes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
    await expect(recoveryCodes).toHaveCount(10);
    const recoveryCode = (await recoveryCodes.first().innerText()).trim();
    await axe();
    await page.getByRole('link', { name: 'I have saved my recovery codes' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('OAT requests');

    // Next time: the password, then a code; a wrong one is refused with a clear message.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('You have been signed out');
    await signInThere();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Enter the code from your authenticator app');
    await axe();
    await page.getByLabel('Security code').fill('12345');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.locator('.govuk-error-summary')).toContainText('Enter the 6-digit code your authenticator app shows now');
    await axe();
    // The code set-up used is spent: the app's next one (within the drift allowed) works.
    await page.getByLabel('Security code').fill(totp(secret, 1));
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('OAT requests');

    // Changing the password takes the current one and a code: here a recovery code (the app's
    // next code may be a step away).
    await page.getByRole('link', { name: 'Your account' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your account');
    await expect(page.getByRole('main')).toContainText('Authenticator app set up');
    await page.getByRole('link', { name: 'Change password' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Change your password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(page.locator('.govuk-error-summary')).toContainText('Enter your current password');
    await axe();
    await page.getByLabel('Current password').fill(STAFF_PASSWORD);
    await page.getByLabel('Security code').fill(recoveryCode);
    await page.getByLabel('New password').fill('copper meadow violin');
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(page.getByRole('alert')).toContainText('Your password has been changed');
  } finally {
    portal.kill('SIGTERM');
  }
});
