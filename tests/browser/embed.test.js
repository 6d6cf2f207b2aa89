'use strict';
// End-to-end tests of the /embed search widget: Debian's Chromium, driven by
// playwright-core, against a real running server whose base URL is in
// LOCATOR_URL (run.sh starts one). Screenshots go to target/browser-artifacts/.
//
// The page is loaded under the Content-Security-Policy it is meant to be
// served with (added here if the server does not send one yet), and any CSP
// violation or script error fails the test.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const BASE = (process.env.LOCATOR_URL || '').replace(/\/$/, '');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = path.resolve(__dirname, '../../target/browser-artifacts');
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
  + "img-src 'self' data:; base-uri 'none'; form-action 'self'";
const TIMEOUT = { timeout: 90_000 };

let browser;

before(async () => {
  assert.ok(BASE, 'LOCATOR_URL must name the running server, e.g. http://127.0.0.1:8080');
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
});

/**
 * Opens /embed + `query` in a fresh context and runs `body(page, requests)`,
 * `requests` growing with the URL of each `/v1/physicians…` request. On failure
 * a screenshot `<name>-failure.png` is saved; a CSP violation or an uncaught
 * script error fails the test.
 */
async function withPage(name, query, body, { width = 480, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('console', (m) => {
    if (/Content.Security.Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  const requests = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith('/v1/physicians')) requests.push(url);
  });
  await page.route((u) => u.pathname === '/embed', async (route) => {
    const response = await route.fetch();
    const headers = response.headers();
    headers['content-security-policy'] ??= CSP;
    await route.fulfill({ response, headers });
  });
  try {
    const response = await page.goto(`${BASE}/embed${query}`);
    assert.equal(response.status(), 200, `GET /embed${query}`);
    await body(page, requests);
    assert.deepEqual(problems, [], 'no CSP violations or script errors');
  } catch (e) {
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}-failure.png`), fullPage: true }).catch(() => {});
    throw e;
  } finally {
    await context.close();
  }
}

/** The rendered results, in page order. */
function results(page) {
  return page.$$eval('#plw-results > li', (items) => items.map((li) => {
    const tel = li.querySelector('a[href^="tel:"]');
    const directions = li.querySelector('a[href^="https://www.google.com/maps/dir/"]');
    return {
      npi: li.dataset.npi,
      distance: Number(li.dataset.distance),
      shownDistance: li.querySelector('.plw-distance')?.textContent,
      tel: tel?.getAttribute('href'),
      directions: directions && { target: directions.target, rel: directions.rel },
      text: li.textContent,
    };
  }));
}

function assertNonDecreasing(list) {
  for (let i = 1; i < list.length; i++) {
    assert.ok(list[i - 1].distance <= list[i].distance,
      `result ${i} (${list[i].distance}) is nearer than result ${i - 1} (${list[i - 1].distance})`);
  }
}

/** The API's own answer, to compare the widget with. */
async function apiSearch(query) {
  const response = await fetch(`${BASE}/v1/physicians?${query}`, { headers: { Accept: 'application/json' } });
  assert.equal(response.status, 200, `GET /v1/physicians?${query}`);
  return response.json();
}

const resultCount = (page) => page.locator('#plw-results > li').count();
const waitForResults = (page, more = 0) =>
  page.waitForFunction((n) => document.querySelectorAll('#plw-results > li').length > n, more);
const focusedId = (page) => page.evaluate(() => document.activeElement?.id || null);
/** The specialty list has loaded, so the page is ready for input. */
const ready = (page) => page.locator('#plw-specialty optgroup').first().waitFor({ state: 'attached' });

test('a preset ZIP across the antimeridian searches at once', TIMEOUT, async () => {
  await withPage('embed-adak', '?zip=99546&condition=lems&radius=1000', async (page, requests) => {
    await waitForResults(page);
    // Searches ask for the summary view, and nothing asks for a detail until a result is opened.
    assert.ok(requests.length > 0);
    for (const url of requests) {
      assert.equal(url.pathname, '/v1/physicians', `no detail fetched: ${url}`);
      assert.equal(url.searchParams.get('view'), 'summary', `${url}`);
    }
    const api = await apiSearch('zip=99546&condition=lems&radius=1000&unit=mi&limit=10&include_total=true');
    assert.ok(api.total > 0, 'the seeded directory has LEMS specialists within 1000 mi of Adak');

    const shown = await results(page);
    assert.deepEqual(shown.map((r) => r.npi), api.results.map((r) => r.physician.npi), 'the API\'s results, in order');
    assertNonDecreasing(shown);
    for (const r of shown) {
      assert.match(r.tel, /^tel:\+1\d{10}$/, 'a tel: link');
      assert.ok(r.directions, 'a directions link');
      assert.equal(r.directions.target, '_blank');
      assert.match(r.directions.rel, /\bnoopener\b/);
      assert.match(r.shownDistance, /^\d[\d,]*\.\d mi$/);
      assert.ok(r.distance <= 1000);
      assert.match(r.text, /Knows LEMS/, 'condition=lems: every result knows LEMS');
    }

    const status = page.getByRole('status');
    const noun = api.total === 1 ? 'specialist' : 'specialists';
    assert.equal((await status.textContent()).trim(), `${api.total} ${noun} within 1,000 mi of Adak, AK 99546`);
    assert.equal(await status.getAttribute('aria-live'), 'polite');
    assert.equal(await page.getByLabel('ZIP code or city, state').inputValue(), '99546');
    assert.ok(await page.getByLabel('Knows LEMS').isChecked(), 'condition=lems ticks "Knows LEMS"');
    assert.equal(await page.getByLabel('Distance').inputValue(), '1000');
    assert.equal((await page.getByRole('alert').textContent()).trim(), '');
    // The seed is fictional, and the page says so.
    const notice = page.getByRole('note');
    await notice.waitFor({ state: 'visible' });
    assert.match(await notice.textContent(), /fictional/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'embed-adak.png'), fullPage: true });
  });
});

test('typing a ZIP and pressing Enter searches; "More results" appends the next page', TIMEOUT, async () => {
  await withPage('embed-more', '', async (page) => {
    await ready(page);
    await page.keyboard.press('Tab');
    assert.equal(await focusedId(page), 'plw-place');
    await page.keyboard.type('10001');
    await page.keyboard.press('Enter');
    await waitForResults(page);
    const first = await results(page);
    assert.equal(first.length, 10, 'a first page of ten');
    assertNonDecreasing(first);
    const api = await apiSearch('zip=10001&radius=50&unit=mi&limit=20&include_total=true');
    assert.ok(api.total > 10, 'enough physicians near 10001 for a second page');
    assert.match(await page.getByRole('status').textContent(), new RegExp(`^${api.total} specialists within 50 mi of New York, NY 10001`));

    await page.getByRole('button', { name: 'More results' }).click();
    await waitForResults(page, first.length);
    const all = await results(page);
    assert.ok(all.length > first.length, 'the list grew');
    assert.deepEqual(all.slice(0, first.length), first, 'the first page stays as it was');
    assert.equal(new Set(all.map((r) => r.npi)).size, all.length, 'no NPI repeats');
    assertNonDecreasing(all);
    assert.deepEqual(all.map((r) => r.npi), api.results.slice(0, all.length).map((r) => r.physician.npi),
      'the two pages are the API\'s first twenty, in order');
    const focusedItem = await page.evaluate(() => {
      const li = document.activeElement.closest('#plw-results > li');
      return li ? [...li.parentElement.children].indexOf(li) : -1;
    });
    assert.equal(focusedItem, first.length, 'focus moves to the first new result');
    assert.match(await page.getByRole('status').textContent(), new RegExp(`^Showing ${all.length} of ${api.total} specialists`));
    await page.screenshot({ path: path.join(ARTIFACTS, 'embed-more.png'), fullPage: true });
  });
});

test('errors are shown in plain words in the alert region', TIMEOUT, async (t) => {
  /** Submits `text` in the box and returns the alert's text. */
  async function searchFor(page, text) {
    const box = page.getByLabel('ZIP code or city, state');
    await box.fill(text);
    await box.press('Enter');
    const alert = page.getByRole('alert');
    await page.waitForFunction(() => document.getElementById('plw-error').textContent.trim() !== '');
    return (await alert.textContent()).trim();
  }
  const plain = (message) => {
    assert.doesNotMatch(message, /[{}]|problem|about:blank|parameter/i, 'no raw JSON or jargon');
  };

  await t.test('an unknown ZIP code', () => withPage('embed-error-zip', '', async (page) => {
    await ready(page);
    const message = await searchFor(page, '00000');
    assert.equal(message, 'We could not find ZIP code 00000. Check the number and try again.');
    plain(message);
    assert.equal(await resultCount(page), 0);
    assert.equal(await page.getByLabel('ZIP code or city, state').getAttribute('aria-invalid'), 'true');
    assert.equal(await focusedId(page), 'plw-place', 'focus goes back to the box to fix it');
    await page.screenshot({ path: path.join(ARTIFACTS, 'embed-error.png'), fullPage: true });
  }));

  await t.test('an unknown city and an unknown state', () => withPage('embed-error-city', '', async (page) => {
    await ready(page);
    assert.equal(await searchFor(page, 'Atlantis, NY'), 'We could not find Atlantis, NY. Check the spelling, or enter a ZIP code.');
    assert.match(await searchFor(page, 'Chicago, XX'), /^“XX” is not a US state/);
    assert.match(await searchFor(page, 'nowhere'), /^We did not understand “nowhere”/);
  }));

  await t.test('a city and state search works', () => withPage('embed-city', '', async (page) => {
    await ready(page);
    const box = page.getByLabel('ZIP code or city, state');
    await box.fill('Chicago, IL');
    await box.press('Enter');
    await waitForResults(page);
    assert.match(await page.getByRole('status').textContent(), /specialists? within 50 mi of Chicago, IL/);
  }));

  // Answers the server gives only under load or misconfiguration, stubbed.
  const stubs = [
    ['429 with Retry-After', { status: 429, headers: { 'Retry-After': '7' }, errors: [] },
      'Too many searches right now. Please try again in 7 seconds.'],
    ['401 for an unknown key', { status: 401, errors: [{ parameter: 'X-Api-Key', message: 'unknown' }] },
      /unknown access key/],
    ['400 on radius', { status: 400, errors: [{ parameter: 'radius', message: 'too large' }] },
      'Choose a distance of 1000 miles or less.'],
    ['500', { status: 500, errors: [] }, 'The directory is not available right now. Please try again in a few minutes.'],
    ['no answer at all', null, 'We could not reach the directory. Check your internet connection and try again.'],
  ];
  for (const [name, stub, expected] of stubs) {
    await t.test(name, () => withPage('embed-error-stub', '?key=partner-key-123', async (page) => {
      // run.sh configures the partner that holds this key.
      await ready(page);
      const keys = [];
      await page.route((u) => u.pathname === '/v1/physicians', (route) => {
        keys.push(route.request().headers()['x-api-key']);
        if (!stub) return route.abort('connectionfailed');
        return route.fulfill({
          status: stub.status,
          headers: { 'Content-Type': 'application/problem+json', ...stub.headers },
          body: JSON.stringify({ type: 'about:blank', title: 'Problem', status: stub.status, detail: 'x', errors: stub.errors }),
        });
      });
      const message = await searchFor(page, '10001');
      if (expected instanceof RegExp) assert.match(message, expected);
      else assert.equal(message, expected);
      plain(message);
      assert.deepEqual(keys, ['partner-key-123'], 'the key parameter is sent as X-Api-Key');
    }));
  }
});

test('lang=es shows the widget in Spanish', TIMEOUT, async () => {
  await withPage('embed-es', '?lang=es&zip=99546&condition=lems&radius=1000', async (page) => {
    await waitForResults(page);
    assert.equal(await page.getAttribute('html', 'lang'), 'es');
    assert.equal(await page.title(), 'Encuentre un especialista cerca de usted');
    const labels = await page.$$eval('label', (ls) => ls.map((l) => l.textContent.trim()));
    assert.deepEqual(labels, ['Código postal o ciudad, estado', 'Distancia', 'Especialidad', 'Conoce el LEMS', 'Acepta pacientes nuevos']);
    assert.ok(await page.getByRole('button', { name: 'Buscar' }).isVisible());
    assert.match(await page.getByRole('status').textContent(), /^\d+ especialistas? a menos de 1000 mi de Adak, AK 99546$/);
    assert.match(await page.locator('.plw-note').textContent(), /llame al consultorio/);
    assert.match(await page.locator('#plw-radius option:checked').textContent(), /^1000 millas$/);
    const body = await page.locator('body').innerText();
    for (const english of ['Search', 'Distance', 'Specialty', 'Any specialty', 'Directions', 'Call ', 'Knows LEMS', 'mi of']) {
      assert.ok(!body.includes(english), `no English "${english}" left`);
    }
    await page.screenshot({ path: path.join(ARTIFACTS, 'embed-es.png'), fullPage: true });
  });
});

test('at 320 px wide nothing scrolls sideways', TIMEOUT, async () => {
  for (const [name, query] of [['embed-320', '?zip=10001&specialty=neuromuscular-medicine'], ['embed-320-es', '?lang=es&zip=60601&radius=100']]) {
    await withPage(name, query, async (page) => {
      await waitForResults(page);
      await page.getByRole('button', { name: /More results|Más resultados/ }).waitFor();
      const widths = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
        widest: Math.max(...[...document.querySelectorAll('body *')].map((e) => e.getBoundingClientRect().right)),
      }));
      assert.ok(widths.scroll <= 320, `scrollWidth ${widths.scroll} > 320`);
      assert.ok(widths.widest <= 320, `an element reaches ${widths.widest}px`);
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
    }, { width: 320, height: 640 });
  }
});

test('keyboard only: Tab reaches every control in order, each with a visible focus ring', TIMEOUT, async () => {
  await withPage('embed-keyboard', '?accent=c0392b', async (page) => {
    await ready(page);
    const unlabelled = await page.$$eval('input, select, button', (controls) => controls
      .filter((c) => !c.hidden && (c.tagName === 'BUTTON' ? !c.textContent.trim() : c.labels.length === 0))
      .map((c) => c.id));
    assert.deepEqual(unlabelled, [], 'every control has a label');

    const order = ['plw-place', 'plw-radius', 'plw-specialty', 'plw-lems', 'plw-accepting', 'plw-submit'];
    for (const id of order) {
      await page.keyboard.press('Tab');
      assert.equal(await focusedId(page), id);
      const ring = await page.evaluate(() => {
        const s = getComputedStyle(document.activeElement);
        return { style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor, shadow: s.boxShadow };
      });
      assert.ok((ring.style !== 'none' && ring.width >= 2) || ring.shadow !== 'none', `${id} shows focus: ${JSON.stringify(ring)}`);
      if (ring.style !== 'none') assert.equal(ring.color, 'rgb(192, 57, 43)', 'the ring takes the accent colour');
      if (id === 'plw-place') await page.keyboard.type('10001');
      if (id === 'plw-lems') await page.keyboard.press('Space');
    }
    assert.ok(await page.getByLabel('Knows LEMS').isChecked(), 'Space ticks a checkbox');
    await page.screenshot({ path: path.join(ARTIFACTS, 'embed-focus.png') });
    await page.keyboard.press('Enter');
    await waitForResults(page);
    assert.match(await page.getByRole('status').textContent(), /specialists? within 50 mi of New York, NY 10001/);
    const background = await page.$eval('#plw-submit', (b) => getComputedStyle(b).backgroundColor);
    assert.equal(background, 'rgb(192, 57, 43)', 'accent= colours the button');
  });
});

/** The nearest beyond the radius, as the widget shows them, in page order. */
const beyondShown = (page) => page.$$eval('#plw-beyond-list > li', (items) => items.map((li) => ({
  npi: li.dataset.npi,
  distance: Number(li.dataset.distance),
  shownDistance: li.querySelector('.plw-distance')?.textContent,
})));

test('Yellowstone: nobody knows LEMS within 50 mi, so the nearest are shown, and one click widens', TIMEOUT, async () => {
  await withPage('embed-yellowstone', '?zip=82190&condition=lems', async (page) => {
    await page.locator('#plw-beyond-list > li').first().waitFor();
    const api = await apiSearch('zip=82190&condition=lems&radius=50&unit=mi&limit=10&beyond=3');
    assert.equal(api.results.length, 0, 'nobody within 50 mi of Yellowstone knows LEMS');
    assert.equal(await resultCount(page), 0);
    assert.equal((await page.getByRole('status').textContent()).trim(),
      'No LEMS specialist within 50 mi of Yellowstone National Park, WY. The nearest:');
    const beyond = await beyondShown(page);
    assert.deepEqual(beyond.map((r) => r.npi), api.beyond_radius.map((r) => r.physician.npi), 'the API\'s nearest beyond, in order');
    assertNonDecreasing(beyond);
    for (const r of beyond) {
      assert.ok(r.distance > 50);
      assert.match(r.shownDistance, /^\d[\d,]*\.\d mi$/, 'each with its distance');
    }
    assert.equal(await page.getByRole('list', { name: 'The nearest specialists' }).count(), 1, 'a named list');

    // Who can see a patient in Wyoming by video, nearest first.
    const video = await apiSearch('zip=82190&condition=lems&radius=50&unit=mi&limit=3&beyond=3&telehealth=true&licensed_in=WY');
    const wanted = [...video.results, ...video.beyond_radius].slice(0, 3);
    assert.ok(wanted.length > 0, 'someone who knows LEMS may see a patient in Wyoming by video');
    for (const r of wanted) assert.ok(r.physician.telehealth && r.physician.licensed_states.includes('WY'));
    const videoList = page.getByRole('list', { name: 'See a specialist by video' });
    await videoList.locator(':scope > li').first().waitFor();
    assert.deepEqual(await videoList.locator(':scope > li').evaluateAll((items) => items.map((li) => li.dataset.npi)),
      wanted.map((r) => r.physician.npi));
    assert.ok(await page.getByRole('heading', { name: 'See a specialist by video' }).isVisible());
    assert.equal((await page.locator('#plw-video-lead').textContent()).trim(),
      'Telehealth specialists licensed in WY, nearest first:');

    // The smallest offered radius that covers them, one keypress away.
    const radii = [10, 25, 50, 100, 250, 500, 1000];
    const wider = radii.find((r) => beyond.every((b) => b.distance <= r));
    const widen = page.getByRole('button', { name: `Search within ${wider.toLocaleString('en')} mi` });
    await widen.focus();
    await page.screenshot({ path: path.join(ARTIFACTS, 'embed-yellowstone.png'), fullPage: true });
    await page.keyboard.press('Enter');
    await waitForResults(page);
    assert.equal(await page.getByLabel('Distance').inputValue(), String(wider));
    const shown = await results(page);
    assert.deepEqual(shown.slice(0, beyond.length).map((r) => r.npi), beyond.map((r) => r.npi),
      'the nearest beyond are now the first results');
    assert.match(await page.getByRole('status').textContent(), new RegExp(`within ${wider} mi of Yellowstone`));
    const focused = await page.evaluate(() => document.activeElement.closest('#plw-results > li')?.dataset.npi);
    assert.equal(focused, shown[0].npi, 'focus moves to the first result');
    assert.ok(await page.locator('#plw-beyond').isHidden(), 'the radius now holds enough');
    assert.ok(await page.locator('#plw-video').isHidden());
  });
});

test('a radius holding fewer than three also shows the nearest beyond it', TIMEOUT, async () => {
  const api = await apiSearch('zip=82190&condition=lems&radius=200&unit=mi&limit=10&beyond=3');
  assert.ok(api.results.length > 0 && api.results.length < 3, `1 or 2 within 200 mi, got ${api.results.length}`);
  await withPage('embed-few', '?zip=82190&condition=lems&radius=200', async (page) => {
    await page.locator('#plw-beyond-list > li').first().waitFor();
    assert.deepEqual((await results(page)).map((r) => r.npi), api.results.map((r) => r.physician.npi));
    const noun = api.results.length === 1 ? 'specialist' : 'specialists';
    assert.match(await page.getByRole('status').textContent(), new RegExp(`^${api.results.length} ${noun} within 200 mi of Yellowstone`));
    assert.equal((await page.locator('#plw-beyond-lead').textContent()).trim(), 'The nearest beyond 200 mi:');
    assert.deepEqual((await beyondShown(page)).map((r) => r.npi), api.beyond_radius.map((r) => r.physician.npi));
  });
});

test('lang=es: every result beyond the radius, in Spanish', TIMEOUT, async () => {
  await withPage('embed-yellowstone-es', '?lang=es&zip=82190&condition=lems&radius=10', async (page) => {
    await page.locator('#plw-beyond-list > li').first().waitFor();
    assert.equal(await resultCount(page), 0);
    assert.equal((await page.getByRole('status').textContent()).trim(),
      'No hay ningún especialista en LEMS a menos de 10 mi de Yellowstone National Park, WY. Los más cercanos:');
    assert.equal(await page.getByRole('list', { name: 'Los especialistas más cercanos' }).count(), 1);
    assert.match(await page.locator('#plw-widen').textContent(), /^Buscar a menos de \d+ mi$/);
    await page.getByRole('heading', { name: 'Consulte a un especialista por video' }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'embed-yellowstone-es.png'), fullPage: true });
  });
});

test('opening a result fetches its details once; a LEMS badge comes with them', TIMEOUT, async () => {
  // Without condition=lems the summary cannot say who knows LEMS: opening a result does.
  const api = await apiSearch('zip=10001&radius=50&unit=mi&limit=10&beyond=3');
  const knows = (r) => r.physician.conditions.some((c) => c.slug === 'lems');
  const lems = api.results.find(knows);
  const other = api.results.find((r) => !knows(r));
  assert.ok(lems && other, 'the first page near 10001 has someone who knows LEMS and someone who does not');
  await withPage('embed-details', '?zip=10001', async (page, requests) => {
    await waitForResults(page);
    const details = () => requests.filter((u) => u.pathname !== '/v1/physicians').map((u) => u.pathname);
    assert.deepEqual(details(), [], 'no detail before a result is opened');
    const card = (r) => page.locator(`#plw-results > li[data-npi="${r.physician.npi}"]`);
    for (const r of api.results) {
      const primary = r.physician.specialties.find((s) => s.primary);
      assert.equal((await card(r).locator('.plw-specialties').textContent()).trim(), primary.name);
    }
    assert.equal(await card(lems).locator('.plw-badge-lems').count(), 0, 'not yet known');

    const button = card(lems).getByRole('button', { name: `Details: ${lems.physician.display_name}` });
    assert.equal(await button.getAttribute('aria-expanded'), 'false');
    await button.click();
    const facts = card(lems).locator('.plw-facts');
    await facts.waitFor();
    assert.equal(await button.getAttribute('aria-expanded'), 'true');
    const region = card(lems).locator(`#${await button.getAttribute('aria-controls')}`);
    assert.ok(await region.isVisible());
    const text = await facts.textContent();
    for (const s of lems.physician.specialties) assert.ok(text.includes(s.name), `${s.name} in ${text}`);
    for (const c of lems.physician.conditions) assert.ok(text.includes(c.name), `${c.name} in ${text}`);
    assert.match(text, /Languages/);
    assert.equal((await card(lems).locator('.plw-badge-lems').textContent()).trim(), 'Knows LEMS');
    assert.deepEqual(details(), [`/v1/physicians/${lems.physician.npi}`]);

    await button.click();
    assert.equal(await button.getAttribute('aria-expanded'), 'false');
    assert.ok(await region.isHidden());
    await button.click();
    assert.ok(await region.isVisible());
    assert.deepEqual(details(), [`/v1/physicians/${lems.physician.npi}`], 'fetched once');

    await card(other).locator('.plw-details-toggle').click();
    await card(other).locator('.plw-facts').waitFor();
    assert.equal(await card(other).locator('.plw-badge-lems').count(), 0, 'no LEMS badge for who does not know it');
    await page.screenshot({ path: path.join(ARTIFACTS, 'embed-details.png'), fullPage: true });
  });
});
