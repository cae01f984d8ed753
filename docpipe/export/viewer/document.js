// docpipe view: one document's pages, drawn from the JSON embedded in its HTML file.
// Boxes are [x0, y0, x1, y1] fractions of the page as displayed (origin top left), placed in
// CSS percentages of the page image so they scale with it. Every string goes in through
// textContent, so no text from a document can become markup.
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("docpipe-data").textContent);
  const LAYERS = [["lines", "lines"], ["blocks", "blocks"], ["cells", "table cells"]];
  const linesByPage = [];  // [{page, text, box, item}] for search

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function percent(fraction) {
    return (fraction * 100).toFixed(4) + "%";
  }

  // One drawn box: data-bbox and data-kind say what it is, for people and for tests.
  function box(layer, kind, bbox, text) {
    const node = el("div", `box layer-${layer} kind-${kind}`);
    node.dataset.layer = layer;
    node.dataset.kind = kind;
    node.dataset.bbox = bbox.map((v) => v.toFixed(4)).join(" ");
    node.style.left = percent(bbox[0]);
    node.style.top = percent(bbox[1]);
    node.style.width = percent(bbox[2] - bbox[0]);
    node.style.height = percent(bbox[3] - bbox[1]);
    node.title = text ? `${kind}: ${text}` : kind;
    return node;
  }

  function sheet(page) {
    const frame = el("div", "sheet");
    if (page.image) {
      const image = el("img", "page-image");
      image.src = page.image;
      [image.width, image.height] = page.image_size;  // laid out at its shape before it loads
      image.alt = `page ${page.page}`;
      image.loading = "lazy";
      frame.append(image);
    } else {  // keep the page's shape so the boxes still land where they belong
      frame.classList.add("no-image");
      frame.style.aspectRatio = page.width && page.height ? `${page.width} / ${page.height}` : "8.5 / 11";
      frame.append(el("p", "muted", page.image_error || "no image"));
    }
    for (const block of page.blocks) frame.append(box("blocks", block.kind, block.bbox, block.text));
    for (const table of page.tables) {
      for (const cell of table.cells) frame.append(box("cells", "cell", cell.bbox, cell.text));
    }
    return frame;
  }

  function pageSection(page) {
    const section = el("section", "page");
    section.id = `page-${page.page}`;
    const title = [`page ${page.page}`, page.engine, page.status].filter(Boolean).join(" · ");
    section.append(el("h2", null, title));
    if (page.error) section.append(el("p", "error", [page.error_kind, page.error].filter(Boolean).join(": ")));
    const frame = sheet(page);
    const text = el("ol", "page-lines");
    page.lines.forEach((line, i) => {
      const drawn = box("lines", "line", line.bbox, line.text);
      const item = el("li", "line-text", line.text);
      item.id = `line-${page.page}-${i}`;
      for (const [a, b] of [[drawn, item], [item, drawn]]) {
        a.addEventListener("mouseenter", () => b.classList.add("focus"));
        a.addEventListener("mouseleave", () => b.classList.remove("focus"));
      }
      frame.append(drawn);
      text.append(item);
      linesByPage.push({ page: page.page, text: line.text, box: drawn, item: item });
    });
    if (!page.lines.length && page.text) text.append(el("li", "line-text", page.text));
    const body = el("div", "page-body");
    body.append(frame, text);
    section.append(body);
    return section;
  }

  function layerSwitches() {
    const group = el("span", "layers");
    for (const [layer, label] of LAYERS) {
      const name = el("label", "layer-switch");
      const input = el("input");
      input.type = "checkbox";
      input.checked = true;
      input.dataset.layer = layer;
      input.addEventListener("change", () => document.body.classList.toggle(`hide-${layer}`, !input.checked));
      name.append(input, el("span", `swatch layer-${layer}`), document.createTextNode(label));
      group.append(name);
    }
    const kinds = new Set(data.pages.flatMap((p) => p.blocks.map((b) => b.kind)));
    const legend = el("span", "legend");
    for (const kind of [...kinds].sort()) legend.append(el("span", `swatch kind-${kind}`), el("span", null, kind));
    group.append(legend);
    return group;
  }

  function search(query, list, count) {
    const wanted = query.trim().toLowerCase();
    list.replaceChildren();
    const hits = [];
    for (const line of linesByPage) {
      const hit = wanted !== "" && line.text.toLowerCase().includes(wanted);
      line.box.classList.toggle("hit", hit);
      line.item.classList.toggle("hit", hit);
      if (hit) hits.push(line);
    }
    for (const line of hits) {
      const entry = el("li", "search-hit");
      const link = el("a", null, `p. ${line.page}`);
      link.href = `#${line.item.id}`;
      link.addEventListener("click", (event) => {
        event.preventDefault();
        line.box.scrollIntoView({ block: "center" });
      });
      entry.append(link, document.createTextNode(" " + line.text));
      list.append(entry);
    }
    const pages = new Set(hits.map((h) => h.page)).size;
    const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
    count.textContent = wanted === "" ? "" : hits.length ? `${plural(hits.length, "hit")} on ${plural(pages, "page")}`
      : "no hits";
    list.hidden = hits.length === 0;
  }

  const doc = data.document;
  document.title = "docpipe view: " + doc.source;
  const header = el("header", "toolbar");
  const back = el("a", "back", "← documents");
  back.href = "index.html";
  const input = el("input", "search");
  input.type = "search";
  input.placeholder = "search this document";
  const count = el("span", "search-count muted");
  const hits = el("ol", "search-hits");
  hits.hidden = true;
  input.addEventListener("input", () => search(input.value, hits, count));
  const name = el("h1", null, doc.source.split("/").pop() || doc.source);
  name.title = doc.source;
  header.append(back, name, el("span", "status status-" + doc.status, doc.status),
                layerSwitches(), input, count);
  const main = el("main", "document");
  for (const page of data.pages) main.append(pageSection(page));
  document.body.append(header, hits, main);
})();
