// The log page: the server rendered the log's tail; "earlier" fetches the bytes before it with a Range request, so
// a huge log never loads whole. Without JavaScript the link to the full text log still works.
const pre = document.getElementById('log-text');
const button = document.getElementById('log-earlier') as HTMLButtonElement | null;
const CHUNK = 64 * 1024;

if (pre && button) {
  let start = Number(pre.dataset.start ?? '0');
  const url = pre.dataset.src ?? '';
  const decoder = new TextDecoder();
  button.hidden = start <= 0;
  button.addEventListener('click', async () => {
    const from = Math.max(0, start - CHUNK);
    button.disabled = true;
    try {
      const response = await fetch(url, { headers: { Range: `bytes=${from}-${start - 1}` } });
      if (response.status !== 206) throw new Error(`the server answered ${response.status}`);
      // A cut at a chunk boundary may split a character; it is shown as U+FFFD, the text stays text.
      pre.prepend(document.createTextNode(decoder.decode(await response.arrayBuffer())));
      start = from;
      pre.dataset.start = String(start);
      button.hidden = start <= 0;
    } catch (err) {
      button.textContent = `could not load: ${(err as Error).message}; try the full log`;
    } finally {
      button.disabled = false;
    }
  });
}
