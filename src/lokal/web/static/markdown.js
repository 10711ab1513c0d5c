// Markdown to DOM without innerHTML: every piece of model text becomes a text node, so nothing the
// model writes can become markup or script. Supports fenced code, headings, lists, quotes,
// paragraphs, `code`, **bold**, *italic* and http(s) links.
"use strict";
const md = (() => {
  const el = (tag, cls) => { const e = document.createElement(tag); if (cls) e.className = cls; return e; };
  const INLINE = /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\*[^*\n]+\*)|(\[[^\]\n]+\]\(https?:\/\/[^)\s]+\))/;

  function inline(parent, text) {
    while (text) {
      const m = INLINE.exec(text);
      if (!m) { parent.append(document.createTextNode(text)); return; }
      if (m.index) parent.append(document.createTextNode(text.slice(0, m.index)));
      const token = m[0];
      let node;
      if (m[1]) { node = el("code"); node.textContent = token.slice(1, -1); }
      else if (m[2]) { node = el("strong"); inline(node, token.slice(2, -2)); }
      else if (m[3]) { node = el("em"); inline(node, token.slice(1, -1)); }
      else {
        const label = token.slice(1, token.indexOf("]("));
        node = el("a"); node.textContent = label;
        node.href = token.slice(token.indexOf("](") + 2, -1); node.rel = "noopener noreferrer"; node.target = "_blank";
      }
      parent.append(node);
      text = text.slice(m.index + token.length);
    }
  }

  function render(source) {
    const root = document.createDocumentFragment();
    const lines = source.replace(/\r\n/g, "\n").split("\n");
    let i = 0, para = [];
    const flush = () => { if (para.length) { const p = el("p"); inline(p, para.join("\n")); root.append(p); para = []; } };
    while (i < lines.length) {
      const line = lines[i];
      const fence = /^\s*(```|~~~)(.*)$/.exec(line);
      if (fence) {
        flush();
        const body = [];
        i++;
        while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++]);
        const pre = el("pre"), code = el("code");
        if (fence[2].trim()) code.dataset.lang = fence[2].trim();
        code.textContent = body.join("\n");
        pre.append(code); root.append(pre); i++;
        continue;
      }
      const heading = /^(#{1,6})\s+(.*)$/.exec(line);
      const item = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(line);
      if (heading) {
        flush(); const h = el("h" + Math.min(6, heading[1].length + 2)); inline(h, heading[2]); root.append(h);
      } else if (item) {
        flush();
        const list = el(/\d/.test(item[1]) ? "ol" : "ul");
        while (i < lines.length) {
          const m = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(lines[i]);
          if (!m) break;
          const li = el("li"); inline(li, m[2]); list.append(li); i++;
        }
        root.append(list);
        continue;
      } else if (/^>\s?/.test(line)) {
        flush(); const q = el("blockquote"); inline(q, line.replace(/^>\s?/, "")); root.append(q);
      } else if (!line.trim()) {
        flush();
      } else {
        para.push(line);
      }
      i++;
    }
    flush();
    return root;
  }
  return { render };
})();
