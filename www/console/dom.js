// The console's DOM helpers, shared by console.js and metrics.js.
// Text only: strings become text nodes, never markup.

export const $ = (id) => document.getElementById(id);

/** An element with an optional class; strings among `children` become text nodes. */
export function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== ''));
  return node;
}

/**
 * Saves a response body as a file. The only links this console makes:
 * an object URL minted here from the response, never a string from a
 * ticket, and gone right after.
 */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.setAttribute('href', url);
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
