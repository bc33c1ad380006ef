// Files as a browser hands them to a page, for the end-to-end tests: a
// real PNG drawn on a canvas, and files offered by paste or drop.

/** A real PNG of `width`×`height`, as a screenshot tool makes one: drawn on a canvas in `frame`. */
export async function png(frame, width, height) {
  const data = await frame.evaluate(async ({ width, height }) => {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const g = canvas.getContext('2d');
    g.fillStyle = '#1d4ed8';
    g.fillRect(0, 0, width, height);
    g.fillStyle = '#fff';
    g.fillRect(width / 4, height / 4, width / 2, height / 2);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let text = '';
    for (const b of bytes) text += String.fromCharCode(b);
    return btoa(text);
  }, { width, height });
  return Buffer.from(data, 'base64');
}

/** Offers files to the element `selector` in the widget's frame as the browser would: a paste (a
 * ClipboardEvent) or a drop (a DragEvent), each with a DataTransfer holding real File objects. */
export async function offer(frame, selector, how, files) {
  const encoded = files.map(({ name, type, bytes }) => ({ name, type, data: bytes.toString('base64') }));
  return frame.evaluate(({ selector, how, encoded }) => {
    const transfer = new DataTransfer();
    for (const { name, type, data } of encoded) {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      transfer.items.add(new File([bytes], name, { type }));
    }
    const target = document.querySelector(selector);
    const event = how === 'paste'
      ? new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true })
      : new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true });
    target.dispatchEvent(event);
    return event.defaultPrevented;
  }, { selector, how, encoded });
}

