// The headless browser of the console test: Debian's Chromium (installed by `npm run stack --
// up`, stack/stack.sh tools_install) driven by puppeteer-core, which never downloads a
// browser of its own. CHROMIUM_PATH points elsewhere.
import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `no Chromium at ${chromiumPath}: run \`npm run stack -- up\` (installs Debian's chromium) or set CHROMIUM_PATH`,
    );
  }
  return puppeteer.launch({
    executablePath: chromiumPath,
    headless: true,
    // Root in a container: Chromium's sandbox needs user namespaces it does not get here.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
    defaultViewport: { width: 1440, height: 960 },
  });
}
