import { test, expect } from './fixtures';
import { signIn } from './journeys';

// Staff come to the queue for its table: on a laptop-sized window the results start within the first
// screenful, beside the filters; on a phone the filters come first. The staff pages share a
// sub-navigation that marks the current section, and the status counts filter the queue.
test('the queue puts its table first and its sections in a sub-navigation', async ({ page, javaScriptEnabled }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, javaScriptEnabled, 'staff@pdp.example');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('OAT requests');
  const nav = page.getByRole('navigation', { name: 'Programme staff pages' });
  await expect(nav.getByRole('link', { name: 'OAT requests' })).toHaveAttribute('aria-current', 'page');
  const table = page.getByRole('region', { name: 'Requests' });
  const filters = page.getByRole('button', { name: 'Apply filters' });
  const tableBox = (await table.boundingBox())!;
  const filterBox = (await filters.boundingBox())!;
  expect(tableBox.y, 'the results start within the first screenful').toBeLessThan(800);
  expect(tableBox.x, 'beside the filters').toBeGreaterThan(filterBox.x + filterBox.width);
  // A status count filters the queue, and is marked as chosen.
  const counts = page.getByRole('navigation', { name: 'Request counts' });
  await counts.getByRole('link', { name: /^Requested/ }).click();
  await expect(page).toHaveURL(/status=requested/);
  await expect(page.getByRole('navigation', { name: 'Request counts' }).getByRole('link', { name: /^Requested/ })).toHaveAttribute('aria-current', 'true');
  await page.getByRole('navigation', { name: 'Programme staff pages' }).getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Audit log');
  await expect(page.getByRole('navigation', { name: 'Programme staff pages' }).getByRole('link', { name: 'Audit log' })).toHaveAttribute('aria-current', 'page');
  // On a phone the filters come first, above the table.
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto('/staff');
  const narrowTable = (await page.getByRole('region', { name: 'Requests' }).boundingBox())!;
  const narrowFilters = (await page.getByRole('button', { name: 'Apply filters' }).boundingBox())!;
  expect(narrowTable.y).toBeGreaterThan(narrowFilters.y);
  console.log(`queue layout: results top at ${Math.round(tableBox.y)} px on 1280x800`);
});
