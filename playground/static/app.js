// The Codios playground's page. It edits the state and shows what the
// server answers: every parse, token and decision is made by the Go engine
// behind /api/, never here. The state lives in the URL's #fragment, which
// the browser never sends to a server.
'use strict';

const LINE_PX = 20; // the editors' line height, as style.css sets it
const PAD_PX = 6;   // the editors' padding

// el makes an element with attributes and children (strings are text,
// never HTML).
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'class') e.className = v;
    else if (k === 'style') Object.assign(e.style, v); // CSSOM: the CSP forbids style attributes
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) e.append(c);
  }
  return e;
}

const $ = (id) => document.getElementById(id);

// api calls the server: GET without a body, POST with one. It resolves to
// {ok, status, data}; errors are data.error = {code, message, diagnostics}.
async function api(path, body) {
  const opts = body === undefined ? {} : {
    method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify(body),
  };
  let r;
  try {
    r = await fetch(path, opts);
  } catch (e) {
    return {ok: false, status: 0, data: {error: {code: 'network', message: 'the playground server does not answer: ' + e.message}}};
  }
  let data;
  try {
    data = await r.json();
  } catch (e) {
    data = {error: {code: 'http', message: r.status + ' ' + r.statusText}};
  }
  return {ok: r.ok, status: r.status, data};
}

function debounce(fn, ms) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

// Editor is a textarea with line numbers, marks for syntax errors at
// their line and column, and highlighted lines.
class Editor {
  constructor(id, kind, name, value, onChange) {
    this.kind = kind;
    this.name = name;
    this.diags = [];
    this.highlights = [];
    this.seq = 0;
    this.gutter = el('div', {class: 'gutter', 'aria-hidden': 'true'});
    this.marks = el('div', {class: 'marks', 'aria-hidden': 'true'});
    this.ta = el('textarea', {id, class: 'code', spellcheck: 'false', wrap: 'off', autocomplete: 'off', autocapitalize: 'off', 'aria-label': name});
    this.ta.value = value;
    this.list = el('ul', {class: 'diags', 'aria-live': 'polite'});
    this.root = el('div', {class: 'editor-wrap'},
      el('div', {class: 'editor'}, this.gutter, el('div', {class: 'code-box'}, this.marks, this.ta)),
      this.list);
    const check = debounce(() => this.check(), 250);
    this.ta.addEventListener('input', () => {
      this.highlights = [];
      this.render();
      check();
      onChange();
    });
    this.ta.addEventListener('scroll', () => this.render());
    this.render();
    this.check();
  }

  get value() { return this.ta.value; }

  set value(v) {
    this.ta.value = v;
    this.highlights = [];
    this.render();
    this.check();
  }

  // check asks the server for the source's syntax errors; a late answer
  // to an older source is dropped.
  async check() {
    const seq = ++this.seq;
    const r = await api('/api/parse', {kind: this.kind, source: this.ta.value});
    if (seq !== this.seq) return;
    if (r.ok) this.setDiagnostics(r.data.diagnostics);
    else this.setDiagnostics([{line: 1, col: 1, message: r.data.error.message}]);
  }

  setDiagnostics(diags) {
    this.diags = diags || [];
    this.render();
  }

  // highlight marks whole lines: {line, cls, title}.
  highlight(list) {
    this.highlights = list;
    this.render();
  }

  render() {
    const n = this.ta.value.split('\n').length;
    this.ta.style.height = (n * LINE_PX + 2 * PAD_PX + 14) + 'px';
    const errLines = new Map(this.diags.map((d) => [d.line, d]));
    const hl = new Map(this.highlights.map((h) => [h.line, h]));
    this.gutter.replaceChildren(...Array.from({length: n}, (_, i) => {
      const d = errLines.get(i + 1), h = hl.get(i + 1);
      const cls = d ? 'err' : h ? h.cls : null;
      return el('div', {class: cls, title: d ? d.message : h ? h.title : null}, String(i + 1));
    }));
    const left = this.ta.scrollLeft;
    this.marks.replaceChildren(
      ...this.highlights.map((h) => el('div', {class: 'band ' + h.cls, style: {top: `${PAD_PX + (h.line - 1) * LINE_PX}px`}, title: h.title})),
      ...this.diags.map((d) => el('div', {
        class: 'squiggle',
        style: {top: `${PAD_PX + (d.line - 1) * LINE_PX}px`, left: `calc(${PAD_PX - left}px + ${d.col - 1}ch)`},
        title: d.message,
      })));
    this.list.replaceChildren(...this.diags.map((d) => el('li', {
      class: 'diag',
      onclick: () => this.goTo(d.line, d.col),
    }, `${this.name} ${d.line}:${d.col}: ${d.message}`)));
    this.root.classList.toggle('has-errors', this.diags.length > 0);
  }

  goTo(line, col) {
    const lines = this.ta.value.split('\n');
    let pos = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) pos += lines[i].length + 1;
    pos += col - 1;
    this.ta.focus();
    this.ta.setSelectionRange(pos, pos);
  }
}

// The example a first visit starts from: the README's two-hop delegation.
const EXAMPLE = {
  mode: 'build',
  authority: '// What the issuer grants the planner agent.\nagent("planner");\nright("/reports/q3", "read");\nright("/reports/q3", "write");\n',
  blocks: [
    {holder: 'research', third_party: '', source: '// The planner hands on read-only access.\ncheck if operation("read");\n'},
  ],
  authorizer: '// The reports service.\nallow if right($r, $op), resource($r), operation($op);\n',
  request: 'resource("/reports/q3");\noperation("read");\n',
  time: '',
  token: '',
  root_key: '',
};

// State encoding in the fragment: base64url of the JSON, as #s=....
function encodeState(s) {
  const bytes = new TextEncoder().encode(JSON.stringify(s));
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function decodeState(text) {
  let t = text.replace(/-/g, '+').replace(/_/g, '/');
  while (t.length % 4) t += '=';
  const bin = atob(t);
  const s = JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
  const str = (v) => (typeof v === 'string' ? v : '');
  return {
    mode: s.mode === 'paste' ? 'paste' : 'build',
    authority: str(s.authority),
    blocks: (Array.isArray(s.blocks) ? s.blocks : []).slice(0, 16).map((b) => ({
      source: str(b && b.source), holder: str(b && b.holder), third_party: str(b && b.third_party),
    })),
    authorizer: str(s.authorizer),
    request: str(s.request),
    time: str(s.time),
    token: str(s.token),
    root_key: str(s.root_key),
  };
}

function loadState() {
  const m = /^#s=([A-Za-z0-9_-]*)$/.exec(location.hash);
  if (m) {
    try {
      return decodeState(m[1]);
    } catch (e) {
      showError({code: 'state', message: 'the link holds no state the playground can read: ' + e.message});
    }
  }
  return {...EXAMPLE, blocks: EXAMPLE.blocks.map((b) => ({...b})), time: nowText()};
}

function nowText() {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

// The page: its editors and its state.
const page = {mode: 'build', editors: {}, blocks: []};

function currentState() {
  return {
    mode: page.mode,
    authority: page.editors.authority.value,
    blocks: page.blocks.map((b) => ({source: b.editor.value, holder: b.holder.value, third_party: b.thirdParty.value})),
    authorizer: page.editors.authorizer.value,
    request: page.editors.request.value,
    time: $('time').value,
    token: $('paste-token').value,
    root_key: $('paste-root').value,
  };
}

// saveState keeps the state in the fragment as it changes, so that a
// reload restores it; replaceState sends nothing anywhere.
const saveState = debounce(() => {
  history.replaceState(null, '', '#s=' + encodeState(currentState()));
}, 300);

function addBlock(b) {
  const i = page.blocks.length + 1;
  const editor = new Editor('ed-block-' + i, 'block', 'block ' + i, b.source, saveState);
  const holder = el('input', {class: 'plain name', value: b.holder, placeholder: 'agent ' + i, spellcheck: 'false', 'aria-label': `block ${i} holder`});
  const thirdParty = el('input', {class: 'plain name', value: b.third_party, placeholder: 'none', spellcheck: 'false', 'aria-label': `block ${i} third-party signer`});
  const kind = el('small', {});
  // what says who signs the block, as the signer field changes.
  const what = () => {
    const name = thirdParty.value.trim();
    kind.textContent = name ? `third-party block: signed by agent ${name}, appended by the holder` : 'attenuation: appended by the holder';
  };
  what();
  holder.addEventListener('input', saveState);
  thirdParty.addEventListener('input', () => { what(); saveState(); });
  const card = el('div', {class: 'card block', id: 'card-block-' + i},
    el('h2', {}, `Block ${i} `, kind),
    el('div', {class: 'row'},
      el('label', {}, 'held by ', holder),
      el('label', {title: 'A named agent signs this block as a third party; authorizers trust its facts with trusting {name}'}, 'third-party signer ', thirdParty),
      el('span', {class: 'spacer'}),
      el('button', {class: 'remove', title: 'remove this block and those after it', onclick: () => removeBlocksFrom(i - 1)}, 'Remove')),
    editor.root,
    el('ul', {class: 'failures'}));
  $('blocks').append(card);
  page.blocks.push({editor, holder, thirdParty, card});
}

function removeBlocksFrom(k) {
  for (const b of page.blocks.splice(k)) b.card.remove();
  saveState();
}

function setMode(mode) {
  page.mode = mode;
  $('build').hidden = mode !== 'build';
  $('paste').hidden = mode !== 'paste';
  $('mode-build').setAttribute('aria-selected', String(mode === 'build'));
  $('mode-paste').setAttribute('aria-selected', String(mode === 'paste'));
  saveState();
}

function showError(e) {
  const box = $('error');
  box.hidden = false;
  box.replaceChildren(el('h2', {}, 'Error'), el('p', {class: 'message'}, e.message));
}

// editorFor returns the editor a diagnostic or a failed check belongs to.
function editorFor(name) {
  if (name === 'authority' || name === 'authorizer' || name === 'request') return page.editors[name];
  const m = /^block (\d+)$/.exec(name);
  if (m && page.mode === 'build') {
    const i = Number(m[1]);
    if (i === 0) return page.editors.authority;
    if (page.blocks[i - 1]) return page.blocks[i - 1].editor;
  }
  return null;
}

async function authorize() {
  const s = currentState();
  const body = {authorizer: s.authorizer, request: s.request, time: s.time};
  if (s.mode === 'paste') {
    body.token = s.token.trim();
    body.root_key = s.root_key.trim();
    if (!body.token) {
      showError({message: 'paste a token first'});
      return;
    }
  } else {
    body.authority = s.authority;
    body.blocks = s.blocks;
  }
  for (const card of document.querySelectorAll('.failures')) card.replaceChildren();
  const r = await api('/api/authorize', body);
  $('error').hidden = true;
  if (!r.ok) {
    const e = r.data.error;
    for (const d of e.diagnostics || []) {
      const ed = editorFor(d.editor);
      if (ed) ed.setDiagnostics(e.diagnostics.filter((x) => x.editor === d.editor));
    }
    // The last answer's results no longer hold.
    for (const id of ['verdict', 'token-card', 'world-card']) $(id).hidden = true;
    showError(e);
    return;
  }
  show(r.data, s);
}

// show draws the server's answer: the verdict, the token, the world, and
// the failed checks in the editors they come from.
function show(res, s) {
  const d = res.decision;
  const failedIn = new Map(); // block index -> [failed checks]
  for (const fc of d.failed_checks) {
    fc.missing = fc.missing || []; // omitted when empty
    if (!failedIn.has(fc.block)) failedIn.set(fc.block, []);
    failedIn.get(fc.block).push(fc);
  }

  // The verdict.
  const v = $('verdict');
  v.hidden = false;
  v.dataset.allowed = String(d.allowed);
  v.className = 'card verdict ' + (d.allowed ? 'allow' : 'deny');
  // A denial leads with what failed: a policy that matched did not decide.
  const failed = d.failed_checks.length ? el('ul', {class: 'failed-checks'}, d.failed_checks.map((fc) =>
    el('li', {class: 'failed-check'},
      `${fc.block === -1 ? "the authorizer's check " + fc.index : 'block ' + fc.block + ', check ' + fc.index} failed: `,
      fc.expired ? `the token expired at ${fc.expired}: ` : '', el('code', {}, fc.source),
      fc.missing.length ? el('div', {class: 'missing'}, 'no fact matches: ', fc.missing.map((m) => el('code', {}, m))) : null))) : null;
  let policy;
  if (!d.policy) {
    policy = el('p', {}, 'no policy matched');
  } else if (d.failed_checks.length && d.policy.kind === 'allow') {
    policy = el('p', {}, `without the failed check${d.failed_checks.length > 1 ? 's' : ''}, policy ${d.policy.index} would have allowed: `, el('code', {}, d.policy.source));
  } else {
    policy = el('p', {}, `policy ${d.policy.index} matched (${d.policy.kind}): `, el('code', {}, d.policy.source));
  }
  v.replaceChildren(el('div', {}, el('h2', {id: 'decision'}, d.allowed ? 'Allow' : 'Deny'), failed, policy));

  // The failed checks in the editors, and the matched policy.
  const editors = [page.editors.authorizer];
  if (s.mode === 'build') editors.push(page.editors.authority, ...page.blocks.map((b) => b.editor));
  for (const ed of editors) ed.highlight([]);
  for (const [block, list] of failedIn) {
    const ed = block === -1 ? page.editors.authorizer : editorFor('block ' + block);
    if (!ed) continue;
    // The server says where each check is: a pasted token's have no line.
    ed.highlight(list.filter((fc) => fc.line > 0).map((fc) => ({
      line: fc.line,
      cls: 'fail',
      title: `check ${fc.index} failed` + (fc.missing.length ? '; no fact matches ' + fc.missing.join(', ') : ''),
    })));
    if (block > 0 && page.blocks[block - 1]) {
      page.blocks[block - 1].card.querySelector('.failures').replaceChildren(...list.map((fc) =>
        el('li', {class: 'failed-check'}, `check ${fc.index} failed: `, el('code', {}, fc.source),
          fc.missing.length ? el('div', {class: 'missing'}, 'no fact matches: ', fc.missing.map((m) => el('code', {}, m))) : null)));
    }
  }
  if (d.policy && d.policy.line > 0 && !failedIn.has(-1)) {
    page.editors.authorizer.highlight([{line: d.policy.line, cls: d.policy.kind === 'allow' ? 'match' : 'fail', title: `policy ${d.policy.index} matched`}]);
  }

  // The token.
  const t = res.token;
  page.lastRootKey = t.root_key;
  $('token-card').hidden = false;
  $('token-size').textContent = `${t.bytes} bytes, ${t.blocks.length} block${t.blocks.length === 1 ? '' : 's'}${t.sealed ? ', sealed' : ''}`;
  $('token-text').value = t.text;
  $('chain').replaceChildren(...t.blocks.map((b) => el('li', {
    class: 'hop' + (b.external_key ? ' third-party' : '') + (failedIn.has(b.index) ? ' fail' : ''),
    title: `block ${b.index}: ${b.signer}`,
  }, el('span', {class: 'who'}, b.label), el('span', {class: 'what'}, b.index === 0 ? 'authority' : b.external_key ? `third party, block ${b.index}` : `block ${b.index}`))));
  const keys = [];
  if (t.root_key) keys.push(el('dt', {}, 'root key'), el('dd', {}, el('code', {}, t.root_key)));
  for (const a of res.agents) keys.push(el('dt', {}, `{${a.name}}`), el('dd', {}, el('code', {}, a.public_key)));
  $('keys').replaceChildren(...keys);
  $('token-blocks').replaceChildren(...t.blocks.map((b) => {
    const failed = new Map((failedIn.get(b.index) || []).map((fc) => [fc.index, fc]));
    return el('div', {class: 'token-block', id: 'token-block-' + b.index},
      el('h3', {}, `block ${b.index} · ${b.label}`),
      el('p', {class: 'meta'}, `signed by ${b.signer} · datalog ${b.version}`),
      el('p', {class: 'meta'}, 'revocation id ', el('code', {class: 'rid', title: b.revocation_id}, b.revocation_id.slice(0, 32) + '…')),
      programView(b.lines, failed, null));
  }));
  $('authorizer-view').replaceWith(programView(res.authorizer, new Map((failedIn.get(-1) || []).map((fc) => [fc.index, fc])), d.policy, 'authorizer-view'));

  // The world.
  page.world = res.world;
  $('world-card').hidden = false;
  renderWorld();
}

// programView prints a canonical program, a failed check marked with the
// facts it misses and the matched policy marked.
function programView(lines, failed, policy, id) {
  return el('pre', {class: 'program', id}, lines.map((l) => {
    const fc = l.check !== undefined ? failed.get(l.check) : undefined;
    const matched = policy && l.policy === policy.index;
    return el('div', {class: 'line' + (fc ? ' fail' : '') + (matched ? ' match' : '')}, l.text,
      fc && fc.missing.length ? el('span', {class: 'missing'}, '  // no fact matches ' + fc.missing.join(', ')) : null);
  }));
}

function renderWorld() {
  const q = $('world-filter').value.trim().toLowerCase();
  const rows = [];
  for (const g of page.world || []) {
    const origin = g.origin.join(', ');
    for (const f of g.facts) {
      if (q && !f.toLowerCase().includes(q) && !origin.toLowerCase().includes(q)) continue;
      rows.push(el('tr', {}, el('td', {}, el('code', {}, f)), el('td', {}, origin)));
    }
  }
  $('world').tBodies[0].replaceChildren(...rows);
}

async function share() {
  history.replaceState(null, '', '#s=' + encodeState(currentState()));
  const status = $('share-status');
  try {
    await navigator.clipboard.writeText(location.href);
    status.textContent = 'link copied';
  } catch (e) {
    status.textContent = 'the link is in the address bar';
  }
}

async function copyToken() {
  const ta = $('token-text');
  try {
    await navigator.clipboard.writeText(ta.value);
    $('copy-status').textContent = 'copied';
  } catch (e) {
    ta.select();
    $('copy-status').textContent = 'selected: press Ctrl+C';
  }
}

// The policy library.
async function loadPolicies() {
  const r = await api('/api/policies');
  if (!r.ok || !r.data.enabled) return;
  $('policies-card').hidden = false;
  $('policy-files').replaceChildren(...r.data.files.map((f) => el('option', {value: f}, f)));
}

async function openPolicy() {
  const path = $('policy-files').value;
  if (!path) return;
  const r = await api('/api/policies/file?path=' + encodeURIComponent(path));
  if (!r.ok) {
    showError(r.data.error);
    return;
  }
  const src = r.data.source;
  $('policy-view').hidden = false;
  $('policy-source').textContent = src;
  $('policy-results').replaceChildren();
  const actions = [];
  if (path.endsWith('_test.txt')) {
    actions.push(el('button', {id: 'policy-run', onclick: () => runPolicyTests(path)}, 'Run test cases'));
  } else {
    const use = (label, f) => el('button', {onclick: () => { setMode('build'); f(); saveState(); }}, label);
    actions.push(
      use('Use as authority', () => { page.editors.authority.value = src; }),
      use('Use as authorizer', () => { page.editors.authorizer.value = src; }),
      use('Append as a block', () => addBlock({source: src, holder: '', third_party: ''})));
  }
  $('policy-actions').replaceChildren(...actions);
}

async function runPolicyTests(path) {
  const r = await api('/api/policies/test', {path});
  const list = $('policy-results');
  if (!r.ok) {
    list.replaceChildren(el('li', {class: 'case fail'}, r.data.error.message));
    return;
  }
  list.replaceChildren(
    ...r.data.cases.map((c) => el('li', {class: 'case ' + (c.passed ? 'pass' : 'fail')},
      el('b', {}, c.passed ? 'PASS ' : 'FAIL '), c.name,
      c.detail ? el('pre', {}, c.detail) : null)),
    el('li', {class: 'summary'}, `${r.data.passed} passed, ${r.data.failed} failed`));
}

function init() {
  const s = loadState();
  const slot = (name) => document.querySelector(`.slot[data-editor="${name}"]`);
  page.editors.authority = new Editor('ed-authority', 'block', 'authority', s.authority, saveState);
  page.editors.authorizer = new Editor('ed-authorizer', 'authorizer', 'authorizer', s.authorizer, saveState);
  page.editors.request = new Editor('ed-request', 'request', 'request', s.request, saveState);
  for (const name of ['authority', 'authorizer', 'request']) slot(name).append(page.editors[name].root);
  for (const b of s.blocks) addBlock(b);
  $('time').value = s.time;
  $('paste-token').value = s.token;
  $('paste-root').value = s.root_key;
  setMode(s.mode);

  for (const id of ['time', 'paste-token', 'paste-root']) $(id).addEventListener('input', saveState);
  $('mode-build').addEventListener('click', () => setMode('build'));
  $('mode-paste').addEventListener('click', () => setMode('paste'));
  $('add-block').addEventListener('click', () => {
    addBlock({source: '', holder: '', third_party: ''});
    page.blocks[page.blocks.length - 1].editor.ta.focus();
    saveState();
  });
  $('now').addEventListener('click', () => { $('time').value = nowText(); saveState(); });
  $('authorize').addEventListener('click', authorize);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      authorize();
    }
  });
  $('share').addEventListener('click', share);
  $('copy-token').addEventListener('click', copyToken);
  $('to-paste').addEventListener('click', () => {
    $('paste-token').value = $('token-text').value;
    const root = page.lastRootKey;
    if (root) $('paste-root').value = root;
    setMode('paste');
  });
  $('world-filter').addEventListener('input', renderWorld);
  $('policy-open').addEventListener('click', openPolicy);
  loadPolicies();
  document.body.dataset.ready = 'true';
}

document.addEventListener('DOMContentLoaded', init);
