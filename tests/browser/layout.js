// Loads each page given in Debian's Chromium (never a browser Playwright downloads) at each
// width given, and prints one JSON array: per page and width, the document's scroll width,
// every element whose box reaches past the viewport's right edge, the page's visible text and
// its DOM, and where its full-page screenshot was saved.
//
//   node layout.js OUT_DIR '[{"name":"home","url":"http://..."}]' '[[1280,1000],[390,844]]'
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

async function main() {
  const [outDir, pagesJson, sizesJson] = process.argv.slice(2);
  const pages = JSON.parse(pagesJson);
  const sizes = JSON.parse(sizesJson);
  fs.mkdirSync(outDir, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tlogistry-chromium-'));
  // A persistent context is how Playwright takes a profile directory: a new, empty one per run.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: sizes[0][0], height: sizes[0][1] },
  });
  const results = [];
  try {
    const page = context.pages()[0] || await context.newPage();
    for (const p of pages) {
      for (const [width, height] of sizes) {
        await page.setViewportSize({ width, height });
        const response = await page.goto(p.url, { waitUntil: 'load' });
        const measured = await page.evaluate(() => {
          const viewport = document.documentElement.clientWidth;
          const overflowing = [];
          for (const e of document.querySelectorAll('body *')) {
            const r = e.getBoundingClientRect();
            if (r.width > 0 && r.right > viewport + 0.5) {
              overflowing.push({ tag: e.tagName.toLowerCase(), id: e.id, className: String(e.className), right: r.right, text: (e.textContent || '').trim().slice(0, 80) });
            }
          }
          return {
            viewport,
            scrollWidth: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
            overflowing,
            text: document.body.innerText,
            html: document.documentElement.outerHTML,
          };
        });
        const screenshot = path.join(outDir, `${p.name}-${width}.png`);
        await page.screenshot({ path: screenshot, fullPage: true });
        results.push({ name: p.name, url: p.url, width, status: response ? response.status() : 0, screenshot, ...measured });
      }
    }
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch(e => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });
