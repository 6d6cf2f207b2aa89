'use strict';
// The API documentation (Swagger UI, compiled into the binary) renders in
// Chromium under the Content-Security-Policy the server sends with it: every
// operation shown, no violation, no script error; and "Try it out" works as
// it comes, with the examples it fills in. Run by run.sh.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { chromium } = require('playwright-core');

const BASE = (process.env.LOCATOR_URL || '').replace(/\/$/, '');
const ARTIFACTS = path.resolve(__dirname, '../../target/browser-artifacts');

/** Runs `body` with a new page of headless Chromium, closed whatever happens. */
async function withPage(body) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    await body(await browser.newPage());
  } finally {
    await browser.close();
  }
}

test('/docs/ renders every operation under its Content-Security-Policy', { timeout: 90_000 }, async () => {
  await withPage(async (page) => {
    const problems = [];
    page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || /Content.Security.Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    const response = await page.goto(`${BASE}/docs/`);
    assert.match(response.headers()['content-security-policy'], /^default-src 'none'; script-src 'self'/);
    await page.locator('.opblock').first().waitFor();
    const spec = await (await fetch(`${BASE}/openapi.json`)).json();
    const operations = Object.values(spec.paths).reduce((n, item) => n + Object.keys(item).length, 0);
    assert.equal(await page.locator('.opblock').count(), operations, 'every operation of the spec is shown');
    await page.screenshot({ path: path.join(ARTIFACTS, 'docs.png') });
    assert.deepEqual(problems, []);
  });
});

test('"Try it out" on every read, with the examples as Swagger UI fills them in, answers 200', { timeout: 180_000 }, async () => {
  await withPage(async (page) => {
    await page.goto(`${BASE}/docs/`);
    const spec = await (await fetch(`${BASE}/openapi.json`)).json();
    for (const item of Object.values(spec.paths)) {
      if (!item.get) continue;
      const block = page.locator(`#operations-${item.get.tags[0]}-${item.get.operationId}`);
      await block.locator('.opblock-summary').first().click();
      await block.locator('.try-out__btn').click();
      // The answer as the page received it: rendering it is Swagger UI's business.
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.request().resourceType() === 'fetch' && r.request().method() === 'GET'),
        block.locator('.execute').click(),
      ]);
      assert.equal(answer.status(), 200, `${answer.url()}: ${await answer.text()}`);
      await block.locator('.opblock-summary').first().click();
    }
  });
});
