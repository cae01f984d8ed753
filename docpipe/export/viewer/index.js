// docpipe view: the index of documents, drawn from the JSON embedded in index.html.
// Every string goes in through textContent, so no text from a document can become markup.
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("docpipe-data").textContent);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function pagesCell(doc) {
    if (doc.n_pages === null || doc.n_pages === undefined) return "";
    const failed = doc.pages_failed ? `, ${doc.pages_failed} failed` : "";
    return `${doc.pages_ok}/${doc.n_pages}${failed}`;
  }

  document.title = "docpipe view: " + data.out;
  const header = el("header", "toolbar");
  header.append(el("h1", null, "docpipe view"), el("span", "muted", data.out));
  const counts = {};
  for (const doc of data.documents) counts[doc.status] = (counts[doc.status] || 0) + 1;
  const total = Object.entries(counts).map(([status, n]) => `${n} ${status}`).join(", ");
  header.append(el("span", "muted", `${data.documents.length} documents (${total})`));

  const table = el("table", "documents");
  const head = el("tr");
  for (const name of ["document", "status", "error", "pages", "engines"]) head.append(el("th", null, name));
  table.append(head);
  for (const doc of data.documents) {
    const row = el("tr", "document");
    row.dataset.status = doc.status;
    const name = el("td", "source");
    if (doc.href) {
      const link = el("a", null, doc.source);
      link.href = doc.href;
      name.append(link);
    } else {
      name.textContent = doc.source;
    }
    const error = [doc.error_kind, doc.error].filter(Boolean).join(": ");
    row.append(name, el("td", "status status-" + doc.status, doc.status), el("td", "error", error),
               el("td", "pages", pagesCell(doc)), el("td", "engines", (doc.engines || []).join(", ")));
    table.append(row);
  }
  document.body.append(header, el("main", "index", null));
  document.querySelector("main").append(table);
})();
