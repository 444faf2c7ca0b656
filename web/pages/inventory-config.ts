/**
 * The config files (`config.ini`, `config_<unit>.ini`) in an editor: open, save (the leader validates; a
 * refused save shows the error at its line and changes nothing), and the file's history, where an older
 * version can be compared with the editor's text and loaded into it (saving it then restores it).
 */
import { enc, getJson, getText, HttpError, send } from '../api.js';
import { fmtTime, h, toast } from '../dom.js';
import { diffLines, LineEditor, parseConfigError, type LineError } from './inventory-editor.js';

interface HistoryRow {
  filename: string;
  timestamp: string;
  data: string;
}

const UNIT_FILE = /^config_([A-Za-z0-9][A-Za-z0-9_-]{0,62})\.ini$/;

export interface ConfigSection {
  el: HTMLElement;
  /** The inventory's units (each may get its own file); re-reads the file list. */
  setUnits(units: string[]): Promise<void>;
  /** Open the first file (config.ini). */
  start(): Promise<void>;
  dirty(): boolean;
  /** The page is going away. */
  dispose(): void;
}

export function configSection(): ConfigSection {
  let files: string[] = [];
  let units: string[] = [];
  let current = '';
  /** What the leader has for `current` (what Revert goes back to). */
  let saved = '';
  let history: HistoryRow[] = [];
  let seq = 0;
  let saving = false;

  const select = h('select', { id: 'config-file' });
  const dirtyNote = h('span', { id: 'config-dirty', class: 'inv-dirty' });
  const switchNote = h('div', { id: 'config-switch', class: 'inv-note', role: 'alert', hidden: true });
  const errorBox = h('div', { id: 'config-error', class: 'inv-error' });
  const errorLive = h('div', { role: 'alert' }, errorBox);
  const status = h('p', { id: 'config-status', class: 'inv-status', role: 'status' });
  const editor = new LineEditor('config-text', 'config-error config-help');
  const editorLabel = h('label', { for: 'config-text', id: 'config-text-label' }, 'Contents');
  const saveBtn = h('button', { type: 'submit', id: 'config-save' }, 'Save');
  const revertBtn = h('button', { type: 'button', id: 'config-revert' }, 'Revert');
  const historyTitle = h('h3', { id: 'config-history-title' }, 'History');
  const historyList = h('ol', { id: 'config-history', class: 'inv-history-list' });
  const viewer = h('div', { id: 'config-version', class: 'inv-version', tabindex: -1, hidden: true, 'aria-labelledby': 'config-version-title' });

  const isDirty = () => current !== '' && editor.value !== saved;
  const updateDirty = () => {
    const d = isDirty();
    dirtyNote.textContent = d ? '● Unsaved changes' : '';
    dirtyNote.dataset.dirty = d ? '1' : '0';
  };
  editor.onInput(() => {
    updateDirty();
    if (status.dataset.kind === 'saved') setStatus('', '');
  });

  const setStatus = (text: string, kind: '' | 'saved' | 'info') => {
    status.textContent = text;
    status.dataset.kind = kind;
    status.className = `inv-status${kind === 'saved' ? ' ok' : ''}`;
  };

  const renderFiles = () => {
    const have = new Set(files);
    const fresh = units.map((u) => `config_${u}.ini`).filter((f) => !have.has(f) && UNIT_FILE.test(f));
    if (current && !have.has(current) && !fresh.includes(current)) fresh.push(current);
    select.replaceChildren(
      ...files.map((f) => h('option', { value: f }, f === 'config.ini' ? 'config.ini (shared by all units)' : f)),
      ...(fresh.length ? [h('optgroup', { label: 'Not created yet' }, ...fresh.map((f) => h('option', { value: f, 'data-new': '1' }, `${f} (new)`)))] : []),
    );
    select.value = current || 'config.ini';
  };

  const closeViewer = () => {
    viewer.hidden = true;
    viewer.replaceChildren();
  };

  const loadVersion = (r: HistoryRow) => {
    editor.value = r.data;
    updateDirty();
    errorBox.replaceChildren();
    closeViewer();
    setStatus(`Loaded the version of ${fmtTime(r.timestamp)} into the editor. Save to restore it.`, 'info');
    editor.textarea.focus();
  };

  const viewVersion = (r: HistoryRow, i: number) => {
    const diff = diffLines(r.data, editor.value);
    const same = diff.every((d) => d.op === 'same');
    const load = h('button', { type: 'button', id: 'config-version-load' }, 'Load this version into the editor');
    load.addEventListener('click', () => loadVersion(r));
    const close = h('button', { type: 'button' }, 'Close');
    close.addEventListener('click', () => {
      closeViewer();
      historyList.querySelector<HTMLButtonElement>(`li[data-index="${i}"] button`)?.focus();
    });
    viewer.replaceChildren(
      h('h4', { id: 'config-version-title' }, `Version of ${fmtTime(r.timestamp)}`),
      h('p', { class: 'muted' }, same ? 'Same as the text in the editor.' : 'Lines marked − are only in this version, lines marked + only in the editor.'),
      h(
        'pre',
        { class: 'inv-diff', tabindex: 0, 'aria-label': `The version of ${fmtTime(r.timestamp)}, compared with the editor` },
        ...diff.map((d) => h('span', { class: `inv-${d.op}` }, `${d.op === 'del' ? '− ' : d.op === 'add' ? '+ ' : '  '}${d.text}\n`)),
      ),
      h('div', { class: 'toolbar' }, load, close),
    );
    viewer.hidden = false;
    viewer.dataset.timestamp = r.timestamp;
    viewer.focus();
  };

  const renderHistory = () => {
    historyTitle.textContent = `History of ${current}`;
    if (history.length === 0) {
      historyList.replaceChildren(h('li', { class: 'muted inv-empty' }, 'No saved versions yet: each save from this page adds one.'));
      return;
    }
    historyList.replaceChildren(
      ...history.map((r, i) => {
        const when = fmtTime(r.timestamp);
        const view = h('button', { type: 'button', 'aria-label': `View the version of ${when}` }, 'View');
        view.addEventListener('click', () => viewVersion(r, i));
        const load = h('button', { type: 'button', 'aria-label': `Load the version of ${when} into the editor` }, 'Load');
        load.addEventListener('click', () => loadVersion(r));
        return h('li', { 'data-index': i, 'data-timestamp': r.timestamp }, h('time', { datetime: r.timestamp }, when), i === 0 ? h('span', { class: 'muted' }, ' (latest)') : null, h('span', { class: 'inv-history-actions' }, view, load));
      }),
    );
  };

  const readHistory = async (name: string) => (files.includes(name) ? getJson<HistoryRow[]>(`/api/config/files/${enc(name)}/history`) : []);

  /** Open `name` in the editor (discarding unsaved edits; the caller asks first). */
  async function open(name: string): Promise<void> {
    const my = ++seq;
    const exists = files.includes(name);
    const [text, hist] = await Promise.all([exists ? getText(`/api/config/files/${enc(name)}`) : Promise.resolve(''), readHistory(name)]);
    if (my !== seq) return;
    current = name;
    saved = text;
    history = hist;
    renderFiles();
    editor.value = text;
    editorLabel.textContent = `Contents of ${name}`;
    errorBox.replaceChildren();
    switchNote.hidden = true;
    closeViewer();
    renderHistory();
    updateDirty();
    const unit = UNIT_FILE.exec(name)?.[1];
    setStatus(exists ? '' : `${name} does not exist yet. Its keys override config.ini on ${unit ?? 'its unit'}; save to create it.`, exists ? '' : 'info');
  }

  const openReporting = (name: string) =>
    open(name).catch((e: unknown) => {
      if (!(e instanceof HttpError && e.status === 401)) toast(`Could not open ${name}: ${(e as Error).message}`, true);
      renderFiles();
    });

  select.addEventListener('change', () => {
    const want = select.value;
    if (want === current) return;
    if (!isDirty()) {
      void openReporting(want);
      return;
    }
    // Keep the edits until the user says otherwise.
    select.value = current;
    const discard = h('button', { type: 'button' }, `Discard them and open ${want}`);
    const keep = h('button', { type: 'button' }, 'Keep editing');
    discard.addEventListener('click', () => void openReporting(want));
    keep.addEventListener('click', () => {
      switchNote.hidden = true;
      editor.textarea.focus();
    });
    switchNote.replaceChildren(h('span', {}, `${current} has unsaved changes.`), discard, keep);
    switchNote.hidden = false;
    keep.focus();
  });

  const showError = (name: string, err: LineError) => {
    const parts: Array<HTMLElement> = [h('p', { class: 'error' }, `✗ Not saved: the leader refused ${name}, which is unchanged.`)];
    const where = err.line !== null ? `${err.file === name ? 'Line' : `${err.file}, line`} ${err.line}: ` : '';
    parts.push(h('p', { class: 'inv-error-msg' }, h('strong', {}, where), err.message));
    if (err.line !== null && err.file === name) {
      const line = err.line;
      const go = h('button', { type: 'button', id: 'config-goto' }, `Go to line ${line}`);
      go.addEventListener('click', () => editor.goToLine(line));
      parts.push(go);
      editor.markLine(line);
    }
    errorBox.replaceChildren(...parts);
    errorBox.dataset.line = err.line !== null && err.file === name ? String(err.line) : '';
    if (err.line !== null && err.file === name) editor.goToLine(err.line);
  };

  async function save(): Promise<void> {
    if (saving || !current) return;
    saving = true;
    saveBtn.disabled = true;
    const name = current;
    const code = editor.value;
    errorBox.replaceChildren();
    editor.clearMark();
    switchNote.hidden = true;
    setStatus(`Saving ${name}…`, 'info');
    try {
      await send('PATCH', `/api/config/files/${enc(name)}`, { code });
    } catch (e) {
      setStatus('', '');
      if (e instanceof HttpError && e.status === 401) return;
      showError(name, parseConfigError((e as Error).message));
      return;
    } finally {
      saving = false;
      saveBtn.disabled = false;
    }
    // Saved: the file list (a unit's first save creates its file), the text as the leader now serves it, history.
    saved = code;
    updateDirty();
    const my = ++seq;
    try {
      files = await getJson<string[]>('/api/config/files');
      const [text, hist] = await Promise.all([getText(`/api/config/files/${enc(name)}`), readHistory(name)]);
      if (my === seq && current === name) {
        if (editor.value === code && text !== code) editor.value = text;
        saved = text;
        history = hist;
        renderFiles();
        renderHistory();
        updateDirty();
      }
    } catch (e) {
      if (!(e instanceof HttpError && e.status === 401)) toast(`Saved, but could not re-read ${name}: ${(e as Error).message}`, true);
    }
    const at = new Date().toLocaleTimeString();
    setStatus(`✓ Saved ${name} at ${at}. The leader validated it; it is the latest version in the history.`, 'saved');
    toast(`Saved ${name}`);
  }

  revertBtn.addEventListener('click', () => {
    editor.value = saved;
    errorBox.replaceChildren();
    updateDirty();
    setStatus(`Reverted to the saved ${current}.`, 'info');
    editor.textarea.focus();
  });

  editor.textarea.addEventListener('keydown', (ev) => {
    if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === 's') {
      ev.preventDefault();
      void save();
    }
  });

  const form = h(
    'form',
    { id: 'config-form', class: 'inv-config-form', 'aria-labelledby': 'config-text-label' },
    editorLabel,
    editor.el,
    h('p', { class: 'muted inv-hint', id: 'config-help' }, 'INI: [section] headers and key = value lines; # starts a comment. The leader checks every key before it saves; Ctrl+S saves.'),
    h('div', { class: 'toolbar' }, saveBtn, revertBtn, dirtyNote),
    errorLive,
    status,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void save();
  });

  const el = h(
    'section',
    { class: 'card inv-config', 'aria-labelledby': 'config-title' },
    h('h2', { id: 'config-title' }, 'Config files'),
    h('div', { class: 'toolbar' }, h('label', { for: 'config-file' }, 'File'), select),
    switchNote,
    h('div', { class: 'inv-config-grid' }, form, h('section', { class: 'inv-history', 'aria-labelledby': 'config-history-title' }, historyTitle, historyList, viewer)),
  );

  const beforeUnload = (ev: BeforeUnloadEvent) => {
    if (isDirty()) ev.preventDefault();
  };
  window.addEventListener('beforeunload', beforeUnload);

  return {
    el,
    dirty: isDirty,
    async setUnits(us: string[]) {
      units = us;
      files = await getJson<string[]>('/api/config/files');
      // A removed unit's file is gone with it: show config.ini instead (the edits to a deleted file cannot be saved).
      if (current && !files.includes(current) && !units.some((u) => `config_${u}.ini` === current)) {
        await open('config.ini');
        return;
      }
      renderFiles();
    },
    async start() {
      if (!files.length) files = await getJson<string[]>('/api/config/files');
      await open(files.includes('config.ini') ? 'config.ini' : (files[0] ?? 'config.ini'));
    },
    dispose: () => window.removeEventListener('beforeunload', beforeUnload),
  };
}
