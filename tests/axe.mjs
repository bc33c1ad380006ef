// axe-core (npm, pinned in package.json) run in the suite's real Chromium,
// and the contrast arithmetic of WCAG 2.x, for the accessibility tests.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const source = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The WCAG 2.0, 2.1 and 2.2 A/AA rules. */
export const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** axe's violations in `frame` (a page or a frame), within `selector` if given: one line per failing node. */
export async function violations(frame, selector = null) {
  // Through the DevTools protocol, not a <script>: the pages' CSPs allow no inline script.
  if (!(await frame.evaluate(() => typeof window.axe === 'object'))) await frame.evaluate(await source);
  return frame.evaluate(async ({ selector, tags }) => {
    const context = selector ? document.querySelector(selector) : document;
    const result = await window.axe.run(context, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id} ${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`));
  }, { selector, tags: TAGS });
}

/** A CSS colour `rgb(…)`/`rgba(…)` as [r, g, b, a]. */
export function rgba(css) {
  const parts = css.match(/[\d.]+/g)?.map(Number) ?? [];
  return [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0, parts[3] ?? 1];
}

/** WCAG's relative luminance of an opaque sRGB colour. */
function luminance([r, g, b]) {
  const lin = (c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** The contrast ratio (1 to 21) of two CSS colours, the first blended over the second when translucent. */
export function contrast(front, back) {
  const [r, g, b, a] = rgba(front);
  const under = rgba(back);
  const blended = [r * a + under[0] * (1 - a), g * a + under[1] * (1 - a), b * a + under[2] * (1 - a)];
  const [hi, lo] = [luminance(blended), luminance(under)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}
