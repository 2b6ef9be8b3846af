// The request board: drag a card to reorder it within the folder shown, or
// drop it on a folder in the side list to move it there (at the end). Each
// drop posts one move (the card's own folder and place); the server gives
// it a rank between its new neighbours, so nobody else's order changes.
// Without script, the request's page has the same move as a form.
(function () {
  const list = document.getElementById("request-list");
  if (!list || !list.dataset.sortable) { return; }
  const section = document.getElementById("requests");
  const error = document.getElementById("move-error");
  const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
  let dragged = null;

  const post = (id, fields) => {
    const body = new URLSearchParams(fields);
    return fetch("/requests/" + encodeURIComponent(id) + "/move", {
      method: "POST",
      headers: Object.assign({ "HX-Request": "true" }, headers),
      body,
    }).then((r) => {
      if (r.status === 204) { error.hidden = true; return true; }
      return r.text().then((t) => {
        error.textContent = t || ("move refused: " + r.status);
        error.hidden = false;
        return false;
      });
    });
  };

  list.addEventListener("dragstart", (e) => {
    dragged = e.target.closest(".request-card");
    if (!dragged) { return; }
    dragged.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", dragged.dataset.id);
  });
  list.addEventListener("dragend", () => {
    if (dragged) { dragged.classList.remove("dragging"); }
    dragged = null;
  });
  list.addEventListener("dragover", (e) => {
    if (!dragged) { return; }
    e.preventDefault();
    const over = e.target.closest(".request-card");
    if (!over || over === dragged) { return; }
    const box = over.getBoundingClientRect();
    const below = e.clientY > box.top + box.height / 2;
    list.insertBefore(dragged, below ? over.nextSibling : over);
  });
  list.addEventListener("drop", (e) => {
    if (!dragged) { return; }
    e.preventDefault();
    const card = dragged;
    const prev = card.previousElementSibling;
    post(card.dataset.id, {
      folder: section.dataset.folder || "",
      after: prev ? prev.dataset.id : "",
    }).then((ok) => { if (!ok) { window.location.reload(); } });
  });

  for (const target of document.querySelectorAll("[data-drop-folder]")) {
    target.addEventListener("dragover", (e) => {
      if (!dragged) { return; }
      e.preventDefault();
      target.classList.add("drop-here");
    });
    target.addEventListener("dragleave", () => target.classList.remove("drop-here"));
    target.addEventListener("drop", (e) => {
      if (!dragged) { return; }
      e.preventDefault();
      target.classList.remove("drop-here");
      const card = dragged;
      post(card.dataset.id, {
        folder: target.dataset.dropFolder,
        position: "1000000000",
      }).then((ok) => { if (ok) { window.location.reload(); } });
    });
  }
})();
