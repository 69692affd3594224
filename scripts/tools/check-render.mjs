// Opens a docs page in headless Chromium (Debian's, driven by playwright-core) and fails unless
// every operation of the spec renders: for each operation it follows the page's deep link
// (#/<tag>/<operationId>) and waits for the operation's summary to be visible. A made-up
// operation must NOT be found (so the check itself is shown able to fail). Page script errors
// fail the check. Saves a screenshot.
//
// usage: node check-render.mjs <name> <spec.yaml> <page.html> <screenshot.png>
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
const require = createRequire(import.meta.url);
const yaml = require('js-yaml');
const { chromium } = require('playwright-core');

const [name, specPath, pagePath, shotPath] = process.argv.slice(2);
const spec = yaml.load(readFileSync(specPath, 'utf8'));
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const ops = Object.entries(spec.paths || {}).flatMap(([path, item]) =>
  METHODS.filter((m) => item[m]).map((m) => ({ method: m.toUpperCase(), path, op: item[m] })),
);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const errors = [];
try {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pathToFileURL(pagePath).href);
  await page.getByText(spec.info.title).first().waitFor({ timeout: 15000 });
  await page.screenshot({ path: shotPath, fullPage: false });

  const shows = async (tag, id, summary) => {
    await page.evaluate((h) => { location.hash = h; }, `#/${tag}/${id}`);
    return page.getByText(summary, { exact: true }).first().waitFor({ state: 'visible', timeout: 4000 }).then(() => true, () => false);
  };
  const missing = [];
  for (const { method, path, op } of ops) {
    if (!(await shows((op.tags || [])[0], op.operationId, op.summary))) missing.push(`${method} ${path} (${op.operationId})`);
  }
  const control = await shows((ops[0]?.op.tags || [])[0], 'no_such_operation', 'This operation does not exist anywhere');
  if (control) errors.push('the render check found an operation that does not exist: it cannot be trusted');
  if (missing.length || errors.length || ops.length === 0) {
    console.error(`${name}: ${missing.length} of ${ops.length} operations did not render`);
    for (const m of missing.slice(0, 30)) console.error(`  ${m}`);
    for (const e of errors.slice(0, 5)) console.error(`  page error: ${e}`);
    process.exitCode = 1;
  } else {
    console.log(`${name}: all ${ops.length} operations render (screenshot ${shotPath})`);
  }
} finally {
  await browser.close();
}
