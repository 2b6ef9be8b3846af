// Live readings over server-sent events: an element with data-sse holds a
// start and a stop button and an <output>; start opens the stream and
// shows each message, stop (or leaving the page) closes it. An element with
// data-live is kept live: each "panels" event replaces its contents (the
// browser reconnects a dropped stream by itself).
(function () {
  for (const box of document.querySelectorAll("[data-live]")) {
    const source = new EventSource(box.dataset.live);
    source.addEventListener("panels", (e) => {
      box.innerHTML = e.data;
      if (window.htmx) { window.htmx.process(box); }
      box.dataset.updated = String(Date.now());
    });
    window.addEventListener("pagehide", () => source.close());
  }
  for (const box of document.querySelectorAll("[data-sse]")) {
    const start = box.querySelector("[id$=-start]");
    const stop = box.querySelector("[id$=-stop]");
    const out = box.querySelector("output");
    let source = null;
    const close = () => {
      if (source) { source.close(); source = null; }
      start.hidden = false; stop.hidden = true;
    };
    start.addEventListener("click", () => {
      close();
      source = new EventSource(box.dataset.sse);
      source.onmessage = (e) => { out.textContent = e.data; };
      source.onerror = () => { out.textContent += " ✕"; close(); };
      start.hidden = true; stop.hidden = false;
    });
    stop.addEventListener("click", close);
    window.addEventListener("pagehide", close);
  }
})();
