/**
 * Profiles: the experiment profiles on the leader, and an upload form. The leader validates the YAML; its
 * errors name `line N, col M`, and the page shows each one under that line of the uploaded text.
 */
import { enc, getJson, getText, HttpError, send } from '../api.js';
import { h, toast } from '../dom.js';
import type { Page } from '../main.js';

interface ProfileRow {
  file: string;
  experimentProfile: { experiment_profile_name?: string; metadata?: { author?: string | null; description?: string | null } };
}

/** `line 3, col 5: message; line 9, col 1: other` -> per-line messages. */
export function errorLines(message: string): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const part of message.split(/;\s*(?=line \d+)/)) {
    const m = /^line (\d+), col (\d+): (.*)$/s.exec(part.trim());
    if (!m) continue;
    const n = Number(m[1]);
    out.set(n, [...(out.get(n) ?? []), `col ${m[2]}: ${m[3]}`]);
  }
  return out;
}

export const renderProfiles: Page = async (root) => {
  const list = h('ul', { class: 'profiles', id: 'profile-list' });
  const viewer = h('pre', { class: 'yaml', id: 'profile-view', tabindex: 0, 'aria-label': 'Profile text' });
  const load = async () => {
    const rows = await getJson<ProfileRow[]>('/api/experiment_profiles');
    list.replaceChildren(
      ...rows.map((r) => {
        const b = h('button', { type: 'button', class: 'link' }, r.experimentProfile.experiment_profile_name ?? r.file);
        b.addEventListener('click', () => {
          getText(`/api/experiment_profiles/${enc(r.file)}`).then(
            (t) => (viewer.textContent = t),
            (e: unknown) => toast((e as Error).message, true),
          );
        });
        return h('li', { 'data-file': r.file }, b, h('span', { class: 'muted' }, ` ${r.file}${r.experimentProfile.metadata?.description ? ` — ${r.experimentProfile.metadata.description}` : ''}`));
      }),
    );
    if (rows.length === 0) list.append(h('li', {}, 'No profiles yet.'));
  };

  const filename = h('input', { id: 'profile-filename', required: true, placeholder: 'my_profile.yaml' });
  const file = h('input', { id: 'profile-file', type: 'file', accept: '.yaml,.yml' });
  const text = h('textarea', { id: 'profile-text', rows: 14, spellcheck: 'false', required: true });
  const result = h('div', { id: 'profile-result', role: 'alert' });
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (!f) return;
    if (!filename.value) filename.value = f.name;
    void f.text().then((t) => (text.value = t));
  });
  const form = h(
    'form',
    { class: 'card form', id: 'profile-upload', 'aria-labelledby': 'upload-title' },
    h('h2', { id: 'upload-title' }, 'Upload a profile'),
    h('label', { for: 'profile-file' }, 'From a file'),
    file,
    h('label', { for: 'profile-filename' }, 'File name'),
    filename,
    h('label', { for: 'profile-text' }, 'YAML'),
    text,
    h('button', { type: 'submit' }, 'Upload'),
    result,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    result.replaceChildren();
    send('POST', '/api/experiment_profiles', { filename: filename.value.trim(), body: text.value }).then(
      () => {
        result.replaceChildren(h('p', { class: 'ok' }, `Uploaded ${filename.value.trim()}.`));
        void load();
      },
      (e: unknown) => {
        if (e instanceof HttpError && e.status === 401) return;
        const msg = (e as Error).message;
        const byLine = errorLines(msg);
        if (byLine.size === 0) {
          result.replaceChildren(h('p', { class: 'error' }, msg));
          return;
        }
        const lines = text.value.split('\n');
        const shown = h('ol', { class: 'yaml-lines' });
        lines.forEach((l, i) => {
          const errs = byLine.get(i + 1);
          shown.append(
            h(
              'li',
              { class: errs ? 'err-line' : '', 'data-line': i + 1, value: i + 1 },
              h('code', {}, l || ' '),
              ...(errs ?? []).map((m) => h('div', { class: 'err-msg' }, `Line ${i + 1}, ${m}`)),
            ),
          );
        });
        result.replaceChildren(h('p', { class: 'error' }, 'The profile was not saved:'), shown);
        const first = shown.querySelector('.err-line');
        if (first) first.scrollIntoView({ block: 'nearest' });
      },
    );
  });

  root.append(h('div', { class: 'split' }, h('section', { class: 'card', 'aria-labelledby': 'plist' }, h('h2', { id: 'plist' }, 'On the leader'), list, viewer), form));
  await load();
};
