/** Starts the headless Chromium the console's browser tests drive, over a profile of its own, and its first page. */
import { join } from "node:path"
import { type BrowserContext, chromium, type Page } from "playwright-core"

const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]

export const launchPage = async (browserPath: string, dir: string, waitMs: number): Promise<{ context: BrowserContext; page: Page }> => {
  const context = await chromium.launchPersistentContext(join(dir, "chromium-profile"), {
    executablePath: browserPath,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
    timeout: 30_000
  })
  const page = context.pages()[0] ?? (await context.newPage())
  page.setDefaultTimeout(waitMs)
  return { context, page }
}
