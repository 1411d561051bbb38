// The code of two runs compared on the Compare page: the files their snapshots differ in (sources, git.diff,
// requirements.txt) as unified diffs computed on the server. Every line reaches the page as text.
"use strict";

function commitLine(side, index, git) {
  const name = index.split("/").pop();
  if (!git) return el("div", {className: "muted"}, `${side}: ${name} (not in a git repository)`);
  const where = [git.branch, git.dirty ? "uncommitted changes" : null].filter(Boolean).join(", ");
  return el("div", {}, `${side}: ${name} · commit `, el("code", {}, String(git.commit || "?").slice(0, 10)),
            where ? ` (${where})` : "");
}

function fileBlock(file) {
  const added = file.lines.filter(l => l.startsWith("+")).length;
  const removed = file.lines.filter(l => l.startsWith("-")).length;
  const summary = el("summary", {}, el("span", {className: `badge change-${file.change}`}, file.change), " ",
                     el("code", {}, file.path), el("span", {className: "muted"}, file.lines.length ? `  +${added} −${removed}` : ""));
  const block = el("details", {className: "diff-file", open: file.lines.length <= 400}, summary);
  block.dataset.path = file.path;
  const cutNote = () => el("p", {className: "muted"}, "lines left out: the diff of these snapshots is too long to show");
  if (!file.lines.length) {
    block.append(file.cut ? cutNote() : el("p", {className: "muted"},
      file.change === "binary" ? "the bytes differ (a binary file)"
        : file.change === "large" ? "the bytes differ (a file over 1 MB, or with thousands of changed lines)"
        : file.change === "changed" ? "only line endings differ" : "an empty or binary file"));
    return block;
  }
  // a git.diff only one run has (the other ran from a clean checkout) is that run's change: shown as the patch it is
  const body = file.uncommitted && file.lines.length > 1 ? file.lines.slice(1) : [];
  const oneSide = !body.length ? null : body.every(l => l.startsWith("+")) ? "+" : body.every(l => l.startsWith("-")) ? "-" : null;
  if (oneSide) {
    block.insertBefore(el("p", {className: "muted"}, oneSide === "+"
      ? "the uncommitted changes of the new run (the old one ran from a clean checkout):"
      : "the uncommitted changes of the old run (the new one ran from a clean checkout):"), null);
  }
  const lines = oneSide ? file.lines.slice(1).map(l => l.slice(1)) : file.lines;
  const pre = el("pre", {className: "diff"});
  for (const line of lines) {
    const kind = oneSide && /^(diff |index |--- |\+\+\+ )/.test(line) ? "meta"
      : line.startsWith("@@") ? "hunk" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "ctx";
    pre.appendChild(el("span", {className: kind}, line + "\n"));
  }
  block.appendChild(pre);
  if (file.cut) block.appendChild(cutNote());
  return block;
}

// The card: two pickers among the ticked runs (the first two by default) and the diff of their code.
function renderCodeDiff(container, indices) {
  container.replaceChildren();
  container.className = "card code-diff";
  const picker = side => {
    const select = el("select", {id: `diff-${side}`});
    indices.forEach(index => select.appendChild(el("option", {value: index}, index.split("/").pop())));
    return select;
  };
  const a = picker("a"), b = picker("b");
  b.selectedIndex = Math.min(1, indices.length - 1);
  const body = el("div", {className: "diff-body"});
  container.append(el("h3", {}, "Code"), el("div", {className: "row diff-pick"}, "old ", a, " new ", b), body);
  const draw = async () => {
    body.replaceChildren(el("p", {className: "muted"}, "comparing…"));
    let diff;
    try { diff = await apiJson("api/code-diff", {a: a.value, b: b.value}); } catch (e) { body.replaceChildren(); return showError(e); }
    const count = diff.changes.length;
    body.replaceChildren(commitLine("old", diff.a, diff.git[0]), commitLine("new", diff.b, diff.git[1]),
      el("p", {className: "diff-count"}, count ? `${count} file${count > 1 ? "s" : ""} differ, ${diff.same} the same`
                                             : `the code snapshots are the same (${diff.same} files)`),
      ...(diff.truncated ? [el("p", {className: "warnings"}, "the snapshots are large: some files or lines are left out")] : []),
      ...diff.changes.map(fileBlock));
  };
  a.onchange = b.onchange = draw;
  return draw();
}
