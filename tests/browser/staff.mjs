// SPDX-License-Identifier: MIT
// Drives Debian's chromium (headless, through playwright-core) over the
// staff pages of a running budbringerd: creates a campaign from the form
// and watches it in its page, downloads the report's CSV and prints the
// report on A4, exports and erases a person, lifts a bounce suppression,
// reads the inbound conversations; checks every page with axe-core in
// English and Danish, at desktop and phone width. Called by
// tests/integration/test_dashboard_staff.sh, which seeds the data and
// passes it in the environment. Prints one "PASS msg" or "FAIL msg" line
// per check.
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const env = (k) => {
  if (!process.env[k]) throw new Error(`missing ${k}`);
  return process.env[k];
};
const url = env('BB_URL');
const user = env('DASH_USER');
const password = env('DASH_PASSWORD');
const opp = env('DASH_OPPORTUNITY');
const personPhone = env('DASH_PERSON_PHONE');     // as written: "20 00 00 03"
const personE164 = env('DASH_PERSON_E164');
const hardMessage = env('DASH_BOUNCE_MESSAGE');
const arTitle = env('DASH_AR_TITLE');
const outDir = env('DASH_OUT');

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
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 },
    locale: 'en-GB', bypassCSP: true, acceptDownloads: true });
  const foreign = [];
  context.on('request', (r) => { if (!r.url().startsWith(url) && !r.url().startsWith('data:')) foreign.push(r.url()); });
  const page = await context.newPage();
  const go = async (sel) => Promise.all([page.waitForNavigation(), page.click(sel)]);

  await page.goto(`${url}/dashboard/login`);
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', password);
  await go('button[type=submit]');
  check(new URL(page.url()).pathname === '/dashboard', 'anna logs in');

  // ---- new campaign, from the menu by keyboard ----
  await page.focus('header nav a[href="/dashboard/campaigns/new"]');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  check(new URL(page.url()).pathname === '/dashboard/campaigns/new', 'the new-campaign form is reached from the menu by keyboard');
  let v = await axe(page);
  check(v === '', `the new-campaign form has no WCAG 2.1 AA violation (${v})`);
  await page.selectOption('#opportunity', opp);
  await page.uncheck('input[name=ch_email]');
  await page.check('input[name=ch_sms]');
  await page.fill('#min_age', '15');
  await page.fill('#max_age', '25');
  await page.click('details summary');
  await page.fill('#text_tr', 'Gönüllü şimdi: {title} {url}');
  await page.focus('#preview');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  check(await page.locator('#preview-result').count() === 1, 'the preview shows the dry run');
  check((await page.textContent('article[data-lang="tr"] .coding')) === 'UCS-2', 'the Turkish text is UCS-2');
  check((await page.textContent('article[data-lang="tr"] .culprits')).includes('ş'), '… and the warning names ş');
  const sms = Number(await page.textContent('#total-sms'));
  check(sms >= 2, `the dry run counts the SMS recipients (${sms})`);
  check(Number(await page.getAttribute('#estimate', 'data-milli')) > 0, 'the preview estimates the cost');
  const ar = page.locator('article[data-lang="ar"] pre.sms');
  check(await ar.count() === 1 && (await ar.textContent()).includes(arTitle), 'the Arabic SMS is rendered');
  const arDir = await ar.evaluate((el) => ({ attr: el.getAttribute('dir'), css: getComputedStyle(el).direction,
    rtl: (() => { try { return el.matches(':dir(rtl)'); } catch (e) { return null; } })() }));
  check(arDir.attr === 'auto' && (arDir.css === 'rtl' || arDir.rtl === true),
    `the Arabic text displays right to left (dir=${arDir.attr}, direction=${arDir.css}, :dir(rtl)=${arDir.rtl})`);
  check(await page.isChecked('input[name=ch_sms]') && !(await page.isChecked('input[name=ch_email]')) &&
    (await page.inputValue('#min_age')) === '15', 'the form keeps what was chosen');
  v = await axe(page);
  check(v === '', `the preview has no WCAG 2.1 AA violation (${v})`);
  await page.screenshot({ path: `${outDir}/dashboard-new.png`, fullPage: true });
  await go('#schedule');
  const m = new URL(page.url()).pathname.match(/^\/dashboard\/campaigns\/(\d+)$/);
  check(m !== null, `schedule leads to the new campaign's page (${page.url()})`);
  const created = m ? m[1] : '0';
  check((await page.textContent('p.notice')).includes(`Campaign ${created} is created`), 'the page says it is created');
  // Watch it go out: reload its page until every SMS is sent.
  let sent = 0;
  for (let i = 0; i < 60 && sent < sms; i++) {
    await page.waitForTimeout(500);
    await page.reload();
    const t = await page.locator('#by-channel tr[data-key="sms"] .n-1');
    sent = (await t.count()) ? Number(await t.textContent()) : 0;
  }
  check(sent === sms, `the campaign's page shows its ${sms} SMS sent (${sent})`);
  check(Number(await page.getAttribute('#cost-total', 'data-milli')) > 0, 'the campaign page shows what it cost');
  check(await page.locator('#texts .warn.ucs2').count() >= 1, 'the campaign page warns about the UCS-2 text');

  // ---- the report: CSV download, print on A4 ----
  await page.goto(`${url}/dashboard/report`);
  v = await axe(page);
  check(v === '', `the report has no WCAG 2.1 AA violation (${v})`);
  const year = new Date().getFullYear();
  await page.fill('#from', `${year}-01-01`);
  await go('#show');
  check(new URL(page.url()).searchParams.get('from') === `${year}-01-01`, 'the period form submits from');
  check(await page.locator('#reach tr[data-reach="band:15-25"]').count() === 1, 'the reach of 15–25-year-olds is shown');
  check(await page.locator('#reach svg rect').count() >= 2, 'the reach is drawn as a chart');
  await page.screenshot({ path: `${outDir}/dashboard-report.png`, fullPage: true });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
  const csvPath = `${outDir}/report-download.csv`;
  await download.saveAs(csvPath);
  const csv = readFileSync(csvPath);
  check(csv[0] === 0xef && csv[1] === 0xbb && csv[2] === 0xbf, 'the downloaded CSV starts with the UTF-8 BOM');
  const text = csv.toString('utf8').slice(1);
  check(text.startsWith('from;to;dimension;key;active_start;'), 'the CSV is separated by semicolons');
  check(/;total;;[0-9;]*;\d+,\d{4};\d+,\d{2}\r\n/.test(text), 'the CSV has decimal commas and CRLF');
  check(/;association;Randers Roklub;(\d+;){8}2;/.test(text), 'the CSV counts the two campaigns of Randers Roklub');
  await page.emulateMedia({ media: 'print' });
  check(await page.locator('header').evaluate((el) => getComputedStyle(el).display) === 'none',
    'printed, the report has no menu');
  check(await page.locator('form.filters').evaluate((el) => getComputedStyle(el).display) === 'none',
    '… and no period form');
  writeFileSync(`${outDir}/report.pdf`, await page.pdf({ preferCSSPageSize: true, printBackground: false }));
  const pdf = readFileSync(`${outDir}/report.pdf`).toString('latin1');
  const box = pdf.match(/\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/);
  check(box && Math.abs(Number(box[1]) - 595) < 2 && Math.abs(Number(box[2]) - 842) < 2,
    `the report prints on A4 (${box ? `${box[1]} x ${box[2]} pt` : 'no MediaBox'})`);
  await page.emulateMedia({ media: 'screen' });

  // ---- people: look up, unmask, export, erase ----
  await page.goto(`${url}/dashboard/subscribers`);
  v = await axe(page);
  check(v === '', `the people page has no WCAG 2.1 AA violation (${v})`);
  await page.fill('#q', personPhone);
  await page.focus('#q');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  check(/^\/dashboard\/subscribers\/\d+$/.test(new URL(page.url()).pathname), `the look-up '${personPhone}' finds the person`);
  const personUrl = page.url();
  check(!(await page.textContent('#person')).includes(personE164.slice(3)), 'the person is masked');
  v = await axe(page);
  check(v === '', `the person page has no WCAG 2.1 AA violation (${v})`);
  await page.screenshot({ path: `${outDir}/dashboard-people.png`, fullPage: true });
  await go('#unmask');
  check((await page.textContent('#addr-sms')) === personE164, 'Show addresses shows the number');
  const [exp] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  const expPath = `${outDir}/person-export.json`;
  await exp.saveAs(expPath);
  const j = JSON.parse(readFileSync(expPath, 'utf8'));
  check(j.profile && j.profile.phone === personE164 && Array.isArray(j.consent_log) && j.consent_log.length >= 1,
    'the export downloads the person\'s data as JSON');
  await go('#erase');
  check(await page.locator('#confirm-word').count() === 1, 'erase asks for confirmation');
  v = await axe(page);
  check(v === '', `the erase confirmation has no WCAG 2.1 AA violation (${v})`);
  await page.fill('#confirm-word', 'ERASE');
  await go('#erase-confirm');
  check((await page.textContent('#erased')).includes('is erased'), 'the person is erased');
  const gone = await page.goto(personUrl);
  check(gone.status() === 404, 'the erased person\'s page is gone');

  // ---- suppressions: lift the bounce ----
  await page.goto(`${url}/dashboard/suppressions`);
  v = await axe(page);
  check(v === '', `the suppression list has no WCAG 2.1 AA violation (${v})`);
  check(await page.locator('button[data-lift]').count() === 1, 'only the bounce can be lifted');
  await page.screenshot({ path: `${outDir}/dashboard-suppressions.png`, fullPage: true });
  await go(`button[data-lift="${hardMessage}"]`);
  check(await page.locator('#lift-confirm').count() === 1, 'the lift asks for confirmation');
  await go('#lift-confirm');
  check((await page.textContent('#notice')).includes('lifted'), 'the suppression is lifted');
  check(await page.locator('tr[data-reason="bounce"]').count() === 0, '… and gone from the list');

  // ---- inbound ----
  await page.goto(`${url}/dashboard/inbound`);
  check(await page.locator('section.thread').count() >= 2, 'inbound SMS are shown per number');
  check(await page.locator('section.thread li.in').count() >= 3, '… as conversations');
  v = await axe(page);
  check(v === '', `the inbound page has no WCAG 2.1 AA violation (${v})`);
  await page.screenshot({ path: `${outDir}/dashboard-inbound.png`, fullPage: true });

  // ---- every new page in Danish, and at phone width in both languages ----
  const pages = ['/dashboard/campaigns/new', '/dashboard/subscribers', '/dashboard/report',
    '/dashboard/suppressions', '/dashboard/inbound', `/dashboard/campaigns/${created}`, '/dashboard'];
  await go('button[name=lang]');
  check((await page.textContent('#logout')) === 'Log ud', 'the UI switches to Danish');
  const bad = [];
  for (const p of pages) {
    await page.goto(`${url}${p}`);
    v = await axe(page);
    if (v) bad.push(`${p}: ${v}`);
  }
  check(bad.length === 0, `the pages in Danish have no WCAG 2.1 AA violation (${bad.join('; ')})`);
  const phone = await context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  const over = [], viol = [];
  for (const lang of ['da', 'en']) {
    for (const p of pages) {
      await phone.goto(`${url}${p}`);
      const o = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (o > 1) over.push(`${lang} ${p} ${o}px`);
      v = await axe(phone);
      if (v) viol.push(`${lang} ${p}: ${v}`);
    }
    if (lang === 'da') {
      await phone.screenshot({ path: `${outDir}/dashboard-inbound-phone.png`, fullPage: true });
      await Promise.all([phone.waitForNavigation(), phone.click('button[name=lang]')]);
    }
  }
  check(over.length === 0, `in Danish and English the pages fit a phone screen (${over.join(', ')})`);
  check(viol.length === 0, `in Danish and English at phone width no WCAG 2.1 AA violation (${viol.join('; ')})`);
  await phone.close();
  check(foreign.length === 0, `no request left the daemon (${foreign.join(' ')})`);
} catch (e) {
  check(false, `browser script: ${e.message}`);
} finally {
  await browser.close();
}
console.log(`CHECKS ${checks}`);
process.exit(failed ? 1 : 0);
