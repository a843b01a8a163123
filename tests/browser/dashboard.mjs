// SPDX-License-Identifier: MIT
// Drives Debian's chromium (headless, through playwright-core) against the
// dashboard of a running budbringerd. Called by
// tests/integration/test_dashboard.sh, which seeds the data and passes it
// in the environment. Prints one "PASS msg" or "FAIL msg" line per check.
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const env = (k) => {
  if (!process.env[k]) throw new Error(`missing ${k}`);
  return process.env[k];
};
const url = env('BB_URL');
const user = env('DASH_USER');
const password = env('DASH_PASSWORD');
const auto = env('DASH_AUTO_CAMPAIGN');
const autoTotal = env('DASH_AUTO_TOTAL');
const autoDelivered = env('DASH_AUTO_DELIVERED');
const autoFailed = env('DASH_AUTO_FAILED');
const pending = env('DASH_PENDING_CAMPAIGN');
const outDir = env('DASH_OUT');
const docsShot = process.env.DASH_DOCS_SCREENSHOT || '';
const failedMessage = env('DASH_FAILED_MESSAGE');
const failedNumber = env('DASH_FAILED_NUMBER');

// axe-core's WCAG 2.0/2.1 A and AA rules on the page as it is now; returns
// a one-line summary of the violations ('' when none).
const axe = async (page) => {
  await page.addScriptTag({ path: axePath });
  const r = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  return r.violations.map((v) => `${v.id} (${v.nodes.length}: ${v.nodes[0].target.join(' ')})`).join(', ');
};

let failed = 0, checks = 0;
const check = (ok, msg) => {
  checks++;
  if (!ok) failed++;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${msg}`);
};

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--no-first-run', '--disable-component-update', '--disable-sync'],
});
try {
  // bypassCSP lets axe-core's script into pages whose CSP forbids scripts.
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 },
    locale: 'en-GB', bypassCSP: true });
  // Everything the page loads must come from the daemon: no internet.
  const foreign = [];
  context.on('request', (r) => { if (!r.url().startsWith(url) && !r.url().startsWith('data:')) foreign.push(r.url()); });
  const page = await context.newPage();

  let resp = await page.goto(`${url}/dashboard`);
  check(page.url().endsWith('/dashboard/login'), 'without a session /dashboard leads to the login page');

  // A wrong password is refused.
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', 'not-the-password');
  [resp] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  check(resp.status() === 401, `wrong password answered 401 (got ${resp.status()})`);
  check(await page.isVisible('p.error'), 'wrong password shows an error');
  check(page.url().endsWith('/dashboard/login'), 'wrong password stays on the login page');
  const cookies0 = await context.cookies();
  check(!cookies0.some((c) => c.name === 'bb_session'), 'wrong password gives no session cookie');

  // The right one logs in.
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  check(new URL(page.url()).pathname === '/dashboard', 'login leads to the dashboard');
  check((await page.textContent('#who')) === user, 'the dashboard names the logged-in user');
  const session = (await context.cookies()).find((c) => c.name === 'bb_session');
  check(session && session.httpOnly && session.sameSite === 'Strict',
    'session cookie is HttpOnly and SameSite=Strict');

  // The seeded campaign with its counts.
  const row = page.locator(`#campaigns tr[data-campaign="${auto}"]`);
  check(await row.count() === 1, `campaign ${auto} is listed`);
  const delivered = await row.locator('.n-0 b').textContent();
  const failedN = await row.locator('.n-3 b').textContent();
  check(delivered === autoDelivered, `campaign ${auto} shows ${autoDelivered} delivered (got ${delivered})`);
  check(failedN === autoFailed, `campaign ${auto} shows ${autoFailed} failed (got ${failedN})`);
  check((await row.locator('.n-total').textContent()).endsWith(` ${autoTotal}`),
    `campaign ${auto} total is ${autoTotal}`);
  // Values with markup show as text and inject nothing.
  const hostile = env('DASH_HOSTILE');
  const hrow = page.locator(`#campaigns tr[data-campaign="${env('DASH_HOSTILE_CAMPAIGN')}"]`);
  const htext = (await hrow.count()) ? await hrow.textContent() : '';
  check(htext.includes(`Titel ${hostile}`), 'an opportunity title with markup shows as text');
  check(htext.includes(`Forening ${hostile}`), 'an association name with markup shows as text');
  check(await page.locator('body script').count() === 0, 'no script element got into the page');
  const failures = await page.textContent('#failures');
  check(failures.includes(`550 5.1.1 bounced ${hostile}`), 'a bounce text with markup shows as text');
  check(!(await page.content()).includes(hostile), 'the page source holds no raw markup from the data');
  check(failures.includes('Invalid Destination Address'), 'latest failures show the gateway\'s reason');
  check(!failures.includes('20000003') && failures.includes('\u2022'), 'failures show masked numbers');
  check(await page.locator('#inbound tbody tr').count() >= 1, 'inbound traffic by intent is listed');
  check(await row.locator('svg rect').count() >= 2, 'campaign has a funnel bar');
  check(await page.locator('#per-day svg rect').count() >= 28, 'messages-per-day chart drawn');

  if (docsShot) await page.screenshot({ path: docsShot, fullPage: true });

  // Approve the pending campaign.
  const prow = page.locator(`#pending tr[data-campaign="${pending}"]`);
  check(await prow.count() === 1, `campaign ${pending} is waiting for approval`);
  check((await page.getAttribute(`#campaigns tr[data-campaign="${pending}"]`, 'data-status')) ===
    'pending_approval', `campaign ${pending} is listed as pending_approval`);
  await Promise.all([page.waitForNavigation(), page.click(`button[data-action="approve-${pending}"]`)]);
  check((await page.textContent('p.notice')).includes(`Campaign ${pending} is approved`),
    'approval is confirmed on the page');
  check(await page.locator(`#pending tr[data-campaign="${pending}"]`).count() === 0,
    'approved campaign left the approval list');
  const st = await page.getAttribute(`#campaigns tr[data-campaign="${pending}"]`, 'data-status');
  check(st && st !== 'pending_approval', `approved campaign changed state (now ${st})`);

  // Resend the automatic campaign's unknown message.
  const rbtn = page.locator(`button[data-action="resend-${auto}"]`);
  check(await rbtn.count() === 1, `campaign ${auto} offers to resend its unknown message`);
  check(((await rbtn.count()) && (await rbtn.textContent()).includes('(1)')),
    'the resend button counts the unknown messages');
  await Promise.all([page.waitForNavigation(), page.click(`button[data-action="resend-${auto}"]`)]);
  check((await page.textContent('p.notice')).includes(`Campaign ${auto}: its unknown messages are queued again`),
    'the resend is confirmed on the page');
  check(await page.locator(`button[data-action="resend-${auto}"]`).count() === 0,
    'no unknown message is left to resend');

  // Danish UI.
  await Promise.all([page.waitForNavigation(), page.click('button[name=lang]')]);
  check((await page.textContent('#logout')) === 'Log ud', 'the UI switches to Danish');
  await Promise.all([page.waitForNavigation(), page.click('button[name=lang]')]);
  check((await page.textContent('#logout')) === 'Log out', 'and back to English');

  await page.screenshot({ path: `${outDir}/dashboard.png`, fullPage: true });
  const phone = await context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(`${url}/dashboard`);
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `fits a phone screen without sideways scrolling (overflow ${overflow}px)`);
  await phone.screenshot({ path: `${outDir}/dashboard-phone.png`, fullPage: true });
  await phone.close();

  // The overview passes axe-core's WCAG 2.1 AA rules.
  await page.goto(`${url}/dashboard`);
  let v = await axe(page);
  check(v === '', `the overview has no WCAG 2.1 AA violation (${v})`);

  // The delivery log, reached from the menu by keyboard alone.
  await page.goto(`${url}/dashboard`);
  await page.focus('header nav a[href="/dashboard/log"]');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  check(new URL(page.url()).pathname === '/dashboard/log', 'the log is reached from the menu with the keyboard');
  v = await axe(page);
  check(v === '', `the log has no WCAG 2.1 AA violation (${v})`);
  await page.selectOption('#f-status', 'failed');
  await page.focus('#f-campaign');
  await page.keyboard.type(auto);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  const q = new URL(page.url()).searchParams;
  check(q.get('status') === 'failed' && q.get('campaign') === auto, `the filter form submits status and campaign (${page.url()})`);
  const logRows = page.locator('#log tbody tr');
  check(await logRows.count() >= 1 && await page.locator(`#log tbody tr[data-message="${failedMessage}"]`).count() === 1,
    `filtered: the failed message ${failedMessage} is listed`);
  check(!(await page.textContent('#log')).includes(failedNumber.slice(3)), 'the log masks the number');
  check((await page.textContent('#log')).includes('Invalid Destination Address'), 'the log shows the gateway\'s reason');
  await page.screenshot({ path: `${outDir}/dashboard-log.png`, fullPage: true });
  // Unmask one row (a POST with the CSRF token): that number, and only it, shows.
  await Promise.all([page.waitForNavigation(), page.click(`button[data-unmask="${failedMessage}"]`)]);
  const shown = await page.textContent(`#log tbody tr[data-message="${failedMessage}"] .addr`);
  check(shown === failedNumber, `unmasking shows ${failedNumber} (got ${shown})`);
  check(await page.isVisible('p.notice'), 'the page says the unmasking is recorded');
  check(new URL(page.url()).pathname === '/dashboard/log', 'unmasking stays on the log');

  // A message's page: its events in order.
  await page.goto(`${url}/dashboard/log?status=failed&campaign=${auto}`);
  await Promise.all([page.waitForNavigation(), page.click(`#log tr[data-message="${failedMessage}"] a[href="/dashboard/messages/${failedMessage}"]`)]);
  const evStates = await page.locator('#events tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.state).join(','));
  check(evStates === 'queued,sending,sent,failed', `the message page lists its events in order (${evStates})`);
  v = await axe(page);
  check(v === '', `the message page has no WCAG 2.1 AA violation (${v})`);
  await page.screenshot({ path: `${outDir}/dashboard-message.png`, fullPage: true });

  // The campaign page: funnels, reasons, the SVG rate chart, the texts.
  await Promise.all([page.waitForNavigation(), page.click(`#message a[href="/dashboard/campaigns/${auto}"]`)]);
  check(new URL(page.url()).pathname === `/dashboard/campaigns/${auto}`, 'the message leads to its campaign');
  check((await page.textContent('#by-channel tr[data-key="sms"] .n-total')) === '4', 'the campaign page counts 4 SMS');
  check(await page.locator('#by-band tbody tr').count() >= 1 && await page.locator('#by-lang tbody tr').count() >= 1,
    'the funnel is shown by language and by age band');
  check((await page.textContent('#reasons')).includes('Invalid Destination Address'), 'failures are grouped by reason');
  check(await page.locator('#rate svg rect').count() >= 1, 'the messages-per-minute chart is drawn');
  check((await page.textContent('#texts')).includes('GSM-7'), 'the texts show their SMS coding');
  v = await axe(page);
  check(v === '', `the campaign page has no WCAG 2.1 AA violation (${v})`);
  await page.screenshot({ path: `${outDir}/dashboard-campaign.png`, fullPage: true });
  // In the other language, and at phone width.
  await Promise.all([page.waitForNavigation(), page.click('button[name=lang]')]);
  check(new URL(page.url()).pathname === `/dashboard/campaigns/${auto}`, 'the language switch stays on the page');
  check((await page.textContent('#funnel h2')) === 'Leveringstragt', 'the campaign page in Danish');
  v = await axe(page);
  check(v === '', `the Danish campaign page has no WCAG 2.1 AA violation (${v})`);
  await page.goto(`${url}/dashboard/log?status=failed`);
  v = await axe(page);
  check(v === '', `the Danish log has no WCAG 2.1 AA violation (${v})`);
  await page.goto(`${url}/dashboard/log?status=bogus`);
  check((await page.textContent('#problem')).startsWith('status:'), 'a bad filter gets a page naming it');
  v = await axe(page);
  check(v === '', `the error page has no WCAG 2.1 AA violation (${v})`);
  const phone2 = await context.newPage();
  await phone2.setViewportSize({ width: 390, height: 844 });
  const overflows = [];
  for (const path of ['/dashboard/log', `/dashboard/campaigns/${auto}`, `/dashboard/messages/${failedMessage}`]) {
    await phone2.goto(`${url}${path}`);
    const o = await phone2.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (o > 1) overflows.push(`${path} ${o}px`);
  }
  check(overflows.length === 0, `the log, campaign and message pages fit a phone screen (${overflows.join(', ')})`);
  v = await axe(phone2);
  check(v === '', `the message page at phone width has no WCAG 2.1 AA violation (${v})`);
  await phone2.close();
  await page.goto(`${url}/dashboard`);
  await Promise.all([page.waitForNavigation(), page.click('button[name=lang]')]);

  // Log out: the session is gone for good.
  await Promise.all([page.waitForNavigation(), page.click('#logout')]);
  check(page.url().endsWith('/dashboard/login'), 'logout leads to the login page');
  await page.goto(`${url}/dashboard`);
  check(page.url().endsWith('/dashboard/login'), 'after logout the dashboard needs a login again');
  check(foreign.length === 0, `no request left the daemon (${foreign.join(' ')})`);
} catch (e) {
  check(false, `browser script: ${e.message}`);
} finally {
  await browser.close();
}
// The shell counts these against the script's check() calls: a run cut
// short cannot pass on the checks it did make.
console.log(`CHECKS ${checks}`);
process.exit(failed ? 1 : 0);
