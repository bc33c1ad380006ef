// The console's two DOM helpers, shared by console.js and metrics.js.
// Text only: strings become text nodes, never markup.

export const $ = (id) => document.getElementById(id);

/** An element with an optional class; strings among `children` become text nodes. */
export function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== ''));
  return node;
}
