// Tags and notes of runs on the page (what `rla tag` / `rla note` write): chips in the runs table, the
// editor of a run's page, tagging the ticked runs. Every tag and note reaches the page as text.
"use strict";

const splitTags = text => text.split(/[\s,]+/).filter(Boolean);

async function annotateRuns(indices, change) {
  return apiJson("api/annotate", {indices, ...change});
}

// A tag as a chip; a click on it filters the table by it (-w '"tag" in tags'), a × removes it when asked.
function tagChip(tag, onRemove) {
  const chip = document.createElement("span");
  chip.className = "tag";
  chip.dataset.tag = tag;
  const label = document.createElement("span");
  label.textContent = tag;
  if (!/['"\\]/.test(tag)) {
    label.title = `show the runs tagged ${tag}`;
    label.onclick = event => {
      event.stopPropagation();
      $("#filter").value = `-w '"${tag}" in tags'`;
      $("#filter-form").requestSubmit();
      location.hash = "#/runs";
    };
  }
  chip.appendChild(label);
  if (onRemove) {
    const remove = document.createElement("button");
    remove.className = "tag-remove";
    remove.type = "button";
    remove.title = `remove the tag ${tag}`;
    remove.textContent = "×";
    remove.onclick = () => onRemove(tag);
    chip.appendChild(remove);
  }
  return chip;
}

function fillTagCell(td, tags) {
  td.className = "tags";
  (tags || []).forEach(tag => td.appendChild(tagChip(tag)));
}

function fillNoteCell(td, note) {
  const text = note || "";
  const first = text.split("\n")[0];
  td.className = "note";
  td.textContent = first.length > 60 ? first.slice(0, 59) + "…" : first + (text.includes("\n") ? " …" : "");
  td.title = text;
}

// The ticked runs of the table gain (or lose) the tags typed in the toolbar.
async function tagTicked(remove) {
  const tags = splitTags($("#tag-input").value);
  if (!state.selected.size) return showError("tick the runs to tag first");
  if (!tags.length) return showError("type the tags first (words without spaces or commas)");
  try {
    await annotateRuns([...state.selected], remove ? {remove: tags} : {add: tags});
    $("#tag-input").value = "";
    await loadRuns();
  } catch (e) { showError(e); }
}

// The card of a run's page: its tags (add, remove) and its note (edit, save).
function renderAnnotations(container, index, annotations) {
  container.replaceChildren();
  container.className = "card annotations";
  const title = document.createElement("h3");
  title.textContent = "Tags and note";
  const chips = document.createElement("div");
  chips.className = "tag-list";
  const status = document.createElement("span");
  status.className = "muted annotation-status";
  const change = async (body, said) => {
    try {
      const {runs} = await annotateRuns([index], body);
      renderAnnotations(container, index, runs[0]);
      container.querySelector(".annotation-status").textContent = said;
      showError(null);
    } catch (e) { showError(e); }
  };
  annotations.tags.forEach(tag => chips.appendChild(tagChip(tag, t => change({remove: [t]}, `removed ${t}`))));
  if (!annotations.tags.length) chips.appendChild(Object.assign(document.createElement("span"),
                                                                {className: "muted", textContent: "no tag"}));
  const form = document.createElement("form");
  form.className = "row";
  const input = Object.assign(document.createElement("input"), {id: "tag-new", placeholder: "add tags: baseline paper",
                                                                spellcheck: false, autocomplete: "off"});
  const add = Object.assign(document.createElement("button"), {type: "submit", textContent: "Add"});
  form.append(input, add);
  form.onsubmit = event => {
    event.preventDefault();
    const tags = splitTags(input.value);
    if (tags.length) change({add: tags}, `added ${tags.join(", ")}`);
  };
  const note = Object.assign(document.createElement("textarea"), {id: "note-text", rows: 4, spellcheck: true,
                                                                  placeholder: "a note on this run"});
  note.value = annotations.note;
  const save = Object.assign(document.createElement("button"), {id: "note-save", type: "button",
                                                               textContent: "Save note"});
  save.onclick = () => change({note: note.value}, "note saved");
  const actions = document.createElement("div");
  actions.className = "row";
  actions.append(save, status);
  container.append(title, chips, form, note, actions);
}
