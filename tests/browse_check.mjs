// Drives Debian's Chromium (playwright-core, no browser download) over the browse site of a
// published tree served by `ipwhl serve`, and of the same tree opened as files; prints one
// JSON object with what it saw. Run with the working directory .ci (node_modules there):
//   node --input-type=module - CONFIG_JSON < tests/browse_check.mjs
// (Playwright gives the browser a fresh profile directory of its own.)
// CONFIG: {chromium, base: "http://HOST/ipfs/CID/", file: "file:///.../site/",
//          query, cell: [project page path, environment], shots: directory or "",
//          shot_page: project page path, only_shots: take the screenshots alone}
import { chromium } from "playwright-core";

const config = JSON.parse(process.argv[2]);
const browser = await chromium.launch({
  executablePath: config.chromium,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const report = { errors: [], search: null, file_search: null, cell: null, crawled: [],
                 broken: [], external: 0, shots: [] };
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  // errors a page logs, and every failed load but the browser's own /favicon.ico (which no
  // page asks for; an IPFS gateway has none at its root)
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
      report.errors.push(m.text());
    }
  });
  page.on("pageerror", (e) => report.errors.push(String(e)));
  page.on("response", (r) => {
    if (r.status() >= 400 && new URL(r.url()).pathname !== "/favicon.ico") {
      report.errors.push(`${r.status()} ${r.url()}`);
    }
  });
  const origin = new URL(config.base).origin;

  if (!config.only_shots) await check(context, page, origin);
  // screenshots: the front page, a search, a project page
  if (config.shots) {
    await page.goto(config.base + "_browse/index.html");
    await page.screenshot({ path: `${config.shots}/front.png`, fullPage: true });
    await page.fill("#q", config.query);
    await page.waitForSelector("#results li a");
    await page.screenshot({ path: `${config.shots}/search.png` });
    await page.goto(config.base + "_browse/" + config.shot_page);
    await page.screenshot({ path: `${config.shots}/project.png`, fullPage: true });
    report.shots = ["front.png", "search.png", "project.png"];
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));

async function check(context, page, origin) {
  // the search finds a project by a word of its summary, and the result opens its page
  await page.goto(config.base + "_browse/index.html");
  await page.fill("#q", config.query);
  await page.waitForSelector("#results li a");
  const first = page.locator("#results li a").first();
  const found = await first.textContent();
  await Promise.all([page.waitForURL("**/p/**"), first.click()]);
  report.search = { found, url: page.url(), title: await page.locator("h1").textContent() };

  // the matrix: the wheel a cell names, and that its link serves it
  await page.goto(config.base + "_browse/" + config.cell[0]);
  const td = page.locator(`td[data-env="${config.cell[1]}"]`);
  const href = await td.locator("a").getAttribute("href");
  const wheel = await td.getAttribute("data-wheel");
  const target = new URL(href, page.url()).href;
  const got = await context.request.get(target);
  report.cell = { wheel, href: target, status: got.status(),
                  type: got.headers()["content-type"], text: (await td.innerText()).trim() };

  // every link of the tree, from the root page and the front page: no 404 anywhere
  const seen = new Set();
  const queue = [config.base, config.base + "_browse/index.html"];
  while (queue.length) {
    const url = queue.shift();
    const key = url.split("#")[0];
    if (seen.has(key)) continue;
    seen.add(key);
    const path = new URL(key).pathname;
    if (path.endsWith("/") || path.endsWith(".html")) {
      const response = await page.goto(key);
      report.crawled.push(key);
      if (!response || response.status() !== 200) {
        report.broken.push(`${key} ${response ? response.status() : "no response"}`);
        continue;
      }
      const links = await page.evaluate(() => {
        const out = [];
        for (const el of document.querySelectorAll("a[href], link[href], script[src]")) {
          const value = el.getAttribute("href") || el.getAttribute("src");
          out.push(new URL(value, document.baseURI).href);
        }
        for (const form of document.querySelectorAll("form[action]")) {
          out.push(new URL(form.getAttribute("action"), document.baseURI).href);
        }
        return out;
      });
      for (const link of links) {
        if (new URL(link).origin !== origin) { report.external += 1; continue; }
        if (!seen.has(link.split("#")[0])) queue.push(link);
      }
    } else {
      const response = await context.request.get(key);
      report.crawled.push(key);
      if (response.status() !== 200) report.broken.push(`${key} ${response.status()}`);
    }
  }

  // the --out tree opened as files: the search works there too (its index is scripts)
  if (config.file) {
    await page.goto(config.file + "_browse/index.html");
    await page.fill("#q", config.query);
    await page.waitForSelector("#results li a");
    const hit = page.locator("#results li a").first();
    await Promise.all([page.waitForURL("**/p/**"), hit.click()]);
    report.file_search = { url: page.url(), title: await page.locator("h1").textContent() };
  }
}
