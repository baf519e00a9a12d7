// The writer's page: plain JavaScript against the LangGraph server's own API
// (/threads, /threads/{id}/runs/stream, /threads/{id}/state) and the page's JSON
// routes under /ui/api (book, export, steps, rewind). No build step, no library.
"use strict";

const GRAPH = "recurrentgpt";
const STREAM_MODES = ["messages-tuple", "values", "custom"];
const POLL_MS = 1500;

const page = {
  threadId: null,
  context: {},
  values: {},
  payload: null,
  shownPause: null, // checkpoint id of the pause whose texts fill the form
  steps: [],
  selected: null,
  running: false,
};

const $ = (id) => document.getElementById(id);

// ---- talking to the server -------------------------------------------------

class ServerError extends Error {}

// A server with users (RECURRENTGPT_USERS) needs a bearer token on every API call and
// JSON route. It stays in this tab only (sessionStorage): closing the tab signs out.
const TOKEN_KEY = "recurrentgpt-token";

function signedInHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

// The sign-in form shows once the server asks for a token (a 401), or after signing out.
function showSignIn(asked = false) {
  const signedIn = Boolean(sessionStorage.getItem(TOKEN_KEY));
  $("sign-in").hidden = signedIn || !asked;
  $("signed-in").hidden = !signedIn;
  if (asked && !signedIn) $("token").focus();
}

async function signIn() {
  const token = $("token").value.trim();
  if (!token) throw new ServerError("Paste the access token the server's operator gave you.");
  sessionStorage.setItem(TOKEN_KEY, token);
  $("token").value = "";
  showSignIn();
  await listNovels();
}

async function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  showSignIn(true);
  showNew();
  $("novel-list").replaceChildren();
}

async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, {
      ...options,
      headers: { "Content-Type": "application/json", ...signedInHeaders(), ...(options.headers || {}) },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch (error) {
    throw new ServerError(`The server did not answer (${error.message}). Is it running?`);
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = text; }
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignIn(true);
    throw new ServerError("This server needs you to sign in: paste your access token above.");
  }
  if (!response.ok) {
    const said = data && (data.error || data.detail || data.message);
    throw new ServerError(said ? String(said) : `The server answered ${response.status}.`);
  }
  return data;
}

function showBanner(message) {
  $("banner-text").textContent = message;
  $("banner").hidden = false;
}

function hideBanner() {
  $("banner").hidden = true;
  $("banner-text").textContent = "";
}

function guarded(action) {
  return async (event) => {
    if (event) event.preventDefault();
    try {
      await action(event);
    } catch (error) {
      showBanner(error.message || String(error));
    }
  };
}

// ---- the list of novels ----------------------------------------------------

// The server's thread statuses, as a writer reads them.
const STATUS_WORDS = { interrupted: "paused", idle: "finished or stopped", busy: "writing", error: "stopped by an error" };

async function listNovels() {
  const threads = await api("/threads/search", {
    method: "POST",
    body: { limit: 100, sort_by: "updated_at", sort_order: "desc" },
  });
  const list = $("novel-list");
  list.replaceChildren();
  const novels = threads.filter((t) => (t.metadata || {}).graph_id === GRAPH || (t.metadata || {}).ui_context);
  for (const thread of novels) {
    const values = thread.values || {};
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "novel-link";
    const title = values.title || (values.premise || "A new novel").slice(0, 60);
    button.textContent = title;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = ` step ${values.step || 0} · ${values.words_written || 0} words · ${STATUS_WORDS[thread.status] || thread.status}`;
    button.append(meta);
    if (thread.thread_id === page.threadId) button.setAttribute("aria-current", "true");
    button.addEventListener("click", guarded(() => openNovel(thread.thread_id)));
    item.append(button);
    list.append(item);
  }
  $("no-novels").hidden = novels.length > 0;
}

// ---- starting a novel ------------------------------------------------------

function contextFromForm(form) {
  const context = { mode: form.mode.value, story_form: form.story_form.value };
  for (const name of ["model", "writer_model"]) {
    const value = form[name].value.trim();
    if (value) context[name] = value;
  }
  for (const name of ["words_per_paragraph", "model_outage_seconds"]) {
    const value = form[name].value.trim();
    if (value !== "") context[name] = Number(value);
  }
  return context;
}

async function startNovel() {
  const form = $("new-form");
  const premise = form.premise.value.trim();
  if (!premise) {
    form.premise.setAttribute("aria-invalid", "true");
    form.premise.focus();
    throw new ServerError("Write a premise first: a sentence or two about the story.");
  }
  form.premise.removeAttribute("aria-invalid");
  const steps = Number(form.target_steps.value || 0);
  if (!Number.isInteger(steps) || steps < 1) {
    form.target_steps.focus();
    throw new ServerError("Paragraphs to write must be a whole number, 1 or more.");
  }
  const context = contextFromForm(form);
  const thread = await api("/threads", { method: "POST", body: { metadata: { ui_context: context } } });
  page.threadId = thread.thread_id;
  page.context = context;
  page.shownPause = null;
  location.hash = `novel=${thread.thread_id}`;
  showNovel();
  const input = {
    premise,
    genre: form.genre.value.trim() || "fiction",
    language: form.language.value.trim() || "English",
    target_steps: steps,
  };
  await run({ input });
}

// ---- one novel -------------------------------------------------------------

function showNovel() {
  $("new-novel").hidden = true;
  $("novel").hidden = false;
}

async function openNovel(threadId) {
  hideBanner();
  const thread = await api(`/threads/${threadId}`);
  page.threadId = threadId;
  page.context = (thread.metadata || {}).ui_context || {};
  page.shownPause = null;
  page.selected = null;
  if (location.hash !== `#novel=${threadId}`) location.hash = `novel=${threadId}`;
  showNovel();
  await refresh();
  await listNovels();
  $("novel-title").focus();
}

function pendingInterrupt(state) {
  if (state.interrupts && state.interrupts.length) return state.interrupts[0].value;
  for (const task of state.tasks || []) {
    if (task.interrupts && task.interrupts.length) return task.interrupts[0].value;
  }
  return null;
}

async function refresh() {
  const id = page.threadId;
  const [thread, state] = await Promise.all([api(`/threads/${id}`), api(`/threads/${id}/state`)]);
  page.values = state.values || {};
  showProgress(page.values);
  const payload = pendingInterrupt(state);
  const busy = thread.status === "busy";
  $("writing").hidden = !busy;
  $("pause").hidden = !payload || busy;
  $("cut-short").hidden = busy || !!payload || !(state.next || []).length;
  $("ended").hidden = busy || !!payload || !!(state.next || []).length;
  if (!$("cut-short").hidden && page.values.chosen_plan) {
    $("notice").hidden = false;
    $("notice").textContent = `The plan being written: ${page.values.chosen_plan}`;
  }
  if (payload && !busy) renderPause(payload, state.checkpoint.checkpoint_id);
  await Promise.all([loadBook(), loadSteps()]);
  if (busy) setTimeout(guarded(refresh), POLL_MS); // written by another tab, or before a reload
}

function showProgress(values) {
  $("novel-title").textContent = values.title || "A new novel";
  const target = values.target_steps ? ` of ${values.target_steps}` : "";
  const chapter = values.chapter ? ` · chapter ${values.chapter}` : "";
  $("progress").textContent =
    `Step ${values.step || 0}${target} · ${values.words_written || 0} words${chapter}`;
}

function latest(payload, field) {
  const pending = payload.pending_edits || {};
  return field in pending ? pending[field] : payload[field] || "";
}

function renderPause(payload, checkpointId) {
  const keepTyped = page.shownPause !== null && (payload.error || page.shownPause === checkpointId);
  page.payload = payload;
  $("pause-error").hidden = !payload.error;
  $("pause-error").textContent = payload.error || "";
  if (payload.notice) {
    $("notice").hidden = false;
    $("notice").textContent = payload.notice;
  } else if (payload.kind === "review_ending") {
    $("notice").hidden = false;
    $("notice").textContent =
      "The target is reached: choose a plan to write one more paragraph, or stop here.";
  } else {
    $("notice").hidden = true;
  }
  const fiction = payload.form === "fiction";
  $("plans-legend").textContent = fiction ? "What you do next" : "What happens next";
  const plans = $("plans");
  const checked = document.querySelector('input[name="plan"]:checked');
  const checkedValue = keepTyped && checked ? checked.value : null;
  plans.replaceChildren();
  (payload.plans || []).forEach((plan, index) => {
    const row = document.createElement("div");
    row.className = "plan";
    const radio = document.createElement("input");
    radio.type = "radio";
    radio.name = "plan";
    radio.id = `plan-${index + 1}`;
    radio.value = String(index + 1);
    const label = document.createElement("label");
    label.htmlFor = radio.id;
    const strong = document.createElement("strong");
    strong.textContent = `${fiction ? "Action" : "Plan"} ${index + 1}: `;
    label.append(strong, document.createTextNode(plan));
    row.append(radio, label);
    plans.append(row);
  });
  if (checkedValue) {
    const again = document.querySelector(`input[name="plan"][value="${checkedValue}"]`);
    if (again) again.checked = true;
  } else {
    $("plan-own").checked = false;
  }
  if (!keepTyped) {
    $("paragraph").value = latest(payload, "paragraph");
    $("memory").value = latest(payload, "short_term_memory");
    $("plan-text").value = (payload.pending_edits || {}).plan || "";
  }
  $("rationale").hidden = !payload.memory_rationale;
  $("rationale").textContent = payload.memory_rationale
    ? `Why the memory changed: ${payload.memory_rationale}` : "";
  fillList($("passages"), payload.retrieved_passages || [], (p) => p);
  $("passages-box").hidden = !(payload.retrieved_passages || []).length;
  $("chapter-outline").textContent = payload.chapter_outline
    ? `Chapter ${payload.chapter || ""}: ${payload.chapter_outline}` : "";
  fillList($("book-outline"), payload.book_outline || [], (c) => `${c.title}: ${c.arc}`);
  $("outline-box").hidden = !payload.chapter_outline && !(payload.book_outline || []).length;
  const bible = $("bible");
  bible.replaceChildren();
  for (const entry of payload.bible || []) {
    const term = document.createElement("dt");
    term.textContent = `${entry.name} (${entry.kind})`;
    const facts = document.createElement("dd");
    facts.textContent = entry.facts;
    bible.append(term, facts);
  }
  $("bible-box").hidden = !(payload.bible || []).length;
  const firstShow = page.shownPause !== checkpointId;
  page.shownPause = checkpointId;
  if (firstShow && !page.running) $("pause-title").focus();
}

function fillList(list, items, text) {
  list.replaceChildren();
  for (const item of items) {
    const li = document.createElement("li");
    li.textContent = text(item);
    list.append(li);
  }
}

function onPlanChosen(event) {
  const value = event.target.value;
  if (value === "own") {
    $("plan-text").value = "";
    return;
  }
  $("plan-text").value = (page.payload.plans || [])[Number(value) - 1] || "";
}

function decisionFromPause() {
  const payload = page.payload;
  const checked = document.querySelector('input[name="plan"]:checked');
  const typedPlan = $("plan-text").value.trim();
  const decision = {};
  if (!checked) {
    if (!typedPlan) return fail("Choose a plan, or write your own.", $("plan-1") || $("plan-own"));
    decision.plan = typedPlan;
  } else if (checked.value === "own") {
    if (!typedPlan) return fail("Write your plan in the box first.", $("plan-text"));
    decision.plan = typedPlan;
  } else {
    const index = Number(checked.value);
    decision.plan_index = index;
    if (typedPlan && typedPlan !== (payload.plans || [])[index - 1]) decision.plan = typedPlan;
  }
  const memory = $("memory").value.trim();
  if (!memory) return fail("The short-term memory cannot be empty.", $("memory"));
  if (memory !== latest(payload, "short_term_memory").trim()) decision.short_term_memory = memory;
  const paragraph = $("paragraph").value.trim();
  if (!paragraph) return fail("The paragraph cannot be empty.", $("paragraph"));
  if (paragraph !== latest(payload, "paragraph").trim()) decision.paragraph = paragraph;
  return decision;
}

function fail(message, field) {
  $("pause-error").textContent = message;
  $("pause-error").hidden = false;
  if (field) field.focus();
  return null;
}

// ---- running the graph -----------------------------------------------------

async function run(body) {
  hideBanner();
  page.running = true;
  document.body.dataset.busy = "true"; // cleared once the page shows where the novel stands
  $("writing").hidden = false;
  $("pause").hidden = true;
  $("cut-short").hidden = true;
  $("ended").hidden = true;
  $("stream-text").textContent = "";
  $("stream-text").dataset.chunks = "0";
  for (const button of document.querySelectorAll("#novel button")) button.disabled = true;
  let failure = null;
  try {
    failure = await stream(body);
  } finally {
    page.running = false;
    try {
      await refresh();
    } finally {
      for (const button of document.querySelectorAll("#novel button")) button.disabled = false;
      $("rewind").disabled = page.selected === null;
      delete document.body.dataset.busy;
    }
  }
  if (failure) {
    showBanner(failure);
    if (!$("cut-short").hidden) $("cut-title").focus(); // where the writer continues from
  }
  await listNovels(); // the list shows each novel's step and words
}

const RECOVERY_RETRY_SECONDS = 5;
const RECOVERY_GIVE_UP_SECONDS = 600;

async function stream(body) {
  let response;
  for (let waited = 0; ; waited += RECOVERY_RETRY_SECONDS) {
    try {
      response = await fetch(`/threads/${page.threadId}/runs/stream`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...signedInHeaders() },
        body: JSON.stringify({
          assistant_id: GRAPH,
          context: page.context,
          stream_mode: STREAM_MODES,
          on_disconnect: "continue", // a reload does not cut the step short
          // A busy thread answers 409 at once instead of queueing this run silently
          // behind a run that a killed server left behind (swept after its heartbeat).
          multitask_strategy: "reject",
          ...body,
        }),
      });
    } catch (error) {
      return `The server did not answer (${error.message}). Is it running? Nothing you typed is lost.`;
    }
    if (response.status !== 409 || waited >= RECOVERY_GIVE_UP_SECONDS) break;
    showBanner(
      `The novel is busy or recovering after a server restart; retrying in ${RECOVERY_RETRY_SECONDS} s. ` +
      "Nothing you typed is lost."
    );
    await new Promise((resolve) => setTimeout(resolve, RECOVERY_RETRY_SECONDS * 1000));
  }
  hideBanner();
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignIn(true);
    return "This server needs you to sign in: paste your access token above. Nothing you typed is lost.";
  }
  if (!response.ok) {
    const text = await response.text();
    let said = text;
    try { const data = JSON.parse(text); said = data.detail || data.error || text; } catch (_) { /* text */ }
    return `The server refused the run (${response.status}): ${said}`;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let failure = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      failure = onEvent(block) || failure;
    }
  }
  return failure;
}

let streamingMessage = null;

function onEvent(block) {
  let name = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) name = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
  }
  if (!data.length) return null;
  let payload;
  try { payload = JSON.parse(data.join("\n")); } catch (_) { return null; }
  if (name.startsWith("messages")) {
    const [chunk, meta] = Array.isArray(payload) ? payload : [payload, {}];
    if (!chunk || (meta && meta.langgraph_node !== "writer")) return null;
    const text = $("stream-text");
    if (chunk.id !== streamingMessage) {
      streamingMessage = chunk.id;
      text.textContent = "";
      text.dataset.chunks = "0";
    }
    if (typeof chunk.content === "string" && chunk.content) {
      text.append(chunk.content);
      text.dataset.chunks = String(Number(text.dataset.chunks || 0) + 1); // pieces as they arrived
    }
  } else if (name === "values") {
    page.values = payload;
    showProgress(payload);
    if (payload.last_paragraph && !$("stream-text").textContent) {
      $("stream-text").textContent = payload.last_paragraph;
    }
  } else if (name === "custom") {
    describeCustom(payload);
  } else if (name === "error") {
    const message = payload.message || payload.error || JSON.stringify(payload);
    return `The run stopped: ${message}`;
  }
  return null;
}

function describeCustom(event) {
  let text = "";
  if (event.event === "model_retry") {
    text = `The ${event.role} model is unreachable (${event.problem}); trying again in ` +
      `${event.wait_seconds} s (retry ${event.retry}).`;
  } else if (event.event === "reply_rejected") {
    text = `A ${event.role} reply was not usable (${event.problem}); asking again.`;
  } else if (event.event === "import_progress") {
    text = `Importing: ${event.stored} of ${event.total} paragraphs stored.`;
  }
  if (text) {
    $("notice").hidden = false;
    $("notice").textContent = text;
  }
}

// ---- the book, the export and the history ----------------------------------

async function loadBook() {
  const book = await api(`/ui/api/threads/${page.threadId}/book`);
  const article = $("book-text");
  article.replaceChildren();
  book.chapters.forEach((chapter, index) => {
    const heading = document.createElement("h4");
    heading.textContent = `Chapter ${index + 1}${chapter.title ? `: ${chapter.title}` : ""}`;
    article.append(heading);
    for (const text of chapter.paragraphs) {
      const p = document.createElement("p");
      p.textContent = text;
      article.append(p);
    }
  });
  if (!book.chapters.length) article.textContent = "Nothing written yet.";
  updateExportLink();
}

function updateExportLink() {
  const format = $("export-format").value;
  $("export-link").href = `/ui/api/threads/${page.threadId}/export?format=${format}`;
}

// A link cannot carry the token: signed in, the download is fetched and saved from memory.
async function downloadSignedIn() {
  const response = await fetch($("export-link").href, { headers: signedInHeaders() });
  if (!response.ok) {
    let said = `The server answered ${response.status}.`;
    try { said = (await response.json()).error || said; } catch (_) { /* keep the status */ }
    throw new ServerError(said);
  }
  const name = (response.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/);
  const saver = document.createElement("a");
  saver.href = URL.createObjectURL(await response.blob());
  saver.download = name ? name[1] : "novel";
  saver.click();
  setTimeout(() => URL.revokeObjectURL(saver.href), 10000);
}

async function loadSteps() {
  const answer = await api(`/ui/api/threads/${page.threadId}/steps`);
  page.steps = answer.rows;
  page.current = answer.current;
  drawTree();
}

const SVG = "http://www.w3.org/2000/svg";
const DX = 56;
const DY = 40;

function drawTree() {
  const svg = $("tree");
  svg.replaceChildren();
  const rows = page.steps;
  const children = new Map();
  for (const row of rows) {
    const key = row.parent || "";
    if (!children.has(key)) children.set(key, []);
    children.get(key).push(row);
  }
  // The current timeline keeps the top lane; every other branch opens a lane below.
  for (const list of children.values()) list.sort((a, b) => (b.on_timeline - a.on_timeline) || a.created_at.localeCompare(b.created_at));
  const lane = new Map();
  let lanes = 0;
  const place = (row, at) => {
    lane.set(row.checkpoint_id, at);
    (children.get(row.checkpoint_id) || []).forEach((child, i) => place(child, i === 0 ? at : lanes++));
  };
  for (const root of children.get("") || []) place(root, lanes++);
  const maxStep = Math.max(0, ...rows.map((r) => r.step));
  svg.setAttribute("width", String((maxStep + 1) * DX + 40));
  svg.setAttribute("height", String(Math.max(1, lanes) * DY + 4));
  const at = (row) => [30 + row.step * DX, 22 + lane.get(row.checkpoint_id) * DY];
  const byId = new Map(rows.map((r) => [r.checkpoint_id, r]));
  for (const row of rows) {
    if (!row.parent || !byId.has(row.parent)) continue;
    const [x1, y1] = at(byId.get(row.parent));
    const [x2, y2] = at(row);
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", `M${x1},${y1} C${x1 + DX / 2},${y1} ${x2 - DX / 2},${y2} ${x2},${y2}`);
    path.setAttribute("class", row.on_timeline ? "edge" : "edge abandoned");
    svg.append(path);
  }
  const ordered = [...rows].sort((a, b) => lane.get(a.checkpoint_id) - lane.get(b.checkpoint_id) || a.step - b.step);
  for (const row of ordered) {
    const [x, y] = at(row);
    const node = document.createElementNS(SVG, "g");
    node.setAttribute("class", `step${row.on_timeline ? "" : " abandoned"}${row.checkpoint_id === page.selected ? " selected" : ""}`);
    node.setAttribute("tabindex", "0");
    node.setAttribute("role", "button");
    node.setAttribute("data-step", String(row.step));
    node.setAttribute("data-checkpoint", row.checkpoint_id);
    const where = row.on_timeline ? "current timeline" : "abandoned branch";
    node.setAttribute("aria-label", `Step ${row.step}, ${row.words_written} words, ${where}`);
    const circle = document.createElementNS(SVG, "circle");
    circle.setAttribute("cx", String(x));
    circle.setAttribute("cy", String(y));
    circle.setAttribute("r", "12");
    const label = document.createElementNS(SVG, "text");
    label.setAttribute("x", String(x));
    label.setAttribute("y", String(y + 4));
    label.textContent = String(row.step);
    node.append(circle, label);
    const choose = () => selectStep(row);
    node.addEventListener("click", choose);
    node.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); choose(); }
    });
    svg.append(node);
  }
}

function selectStep(row) {
  page.selected = row.checkpoint_id;
  const where = row.on_timeline ? "on the current timeline" : "on an abandoned branch";
  const plan = row.plan ? ` Plan: ${row.plan}` : "";
  $("step-detail").textContent = `Step ${row.step}, ${row.words_written} words, ${where}.${plan}`;
  $("rewind").disabled = false;
  $("rewind").textContent = `Rewind to step ${row.step}`;
  for (const node of $("tree").querySelectorAll(".step")) {
    node.classList.toggle("selected", node.getAttribute("data-checkpoint") === row.checkpoint_id);
  }
}

async function rewind() {
  if (!page.selected) return;
  const row = await api(`/ui/api/threads/${page.threadId}/rewind`, {
    method: "POST",
    body: { ref: page.selected },
  });
  page.shownPause = null;
  page.selected = null;
  $("rewind").disabled = true;
  $("rewind").textContent = "Rewind to this step";
  $("step-detail").textContent = `Rewound to step ${row.step}. Later steps stay in the picture as a branch.`;
  await run({ input: null }); // the pause is asked again from the rewound state
}

// ---- wiring ----------------------------------------------------------------

function showNew() {
  page.threadId = null;
  history.replaceState(null, "", location.pathname);
  $("novel").hidden = true;
  $("new-novel").hidden = false;
  $("premise").focus();
}

document.addEventListener("DOMContentLoaded", () => {
  $("banner-close").addEventListener("click", hideBanner);
  $("sign-in").addEventListener("submit", guarded(signIn));
  $("sign-out").addEventListener("click", guarded(signOut));
  $("export-link").addEventListener("click", (event) => {
    // Without a token the link downloads by itself.
    if (sessionStorage.getItem(TOKEN_KEY)) guarded(downloadSignedIn)(event);
  });
  showSignIn();
  $("show-new").addEventListener("click", showNew);
  $("refresh-novels").addEventListener("click", guarded(listNovels));
  $("new-form").addEventListener("submit", guarded(startNovel));
  $("pause").addEventListener("submit", guarded(async () => {
    const decision = decisionFromPause();
    if (decision) await run({ command: { resume: decision } });
  }));
  $("pause").addEventListener("change", (event) => {
    if (event.target.name === "plan") onPlanChosen(event);
  });
  $("stop").addEventListener("click", guarded(() => run({ command: { resume: { stop: true } } })));
  $("continue").addEventListener("click", guarded(() => run({ input: null })));
  $("write-more").addEventListener("click", guarded(() => {
    const more = Number($("more-steps").value || 0);
    if (!Number.isInteger(more) || more < 1) throw new ServerError("Write at least 1 more paragraph.");
    return run({ input: { target_steps: (page.values.step || 0) + more, target_words: 0 } });
  }));
  $("export-format").addEventListener("change", updateExportLink);
  $("rewind").addEventListener("click", guarded(rewind));
  const match = location.hash.match(/^#novel=(.+)$/);
  guarded(async () => {
    await listNovels();
    if (match) await openNovel(decodeURIComponent(match[1]));
  })();
});
