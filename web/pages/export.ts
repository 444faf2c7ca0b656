/** Export: pick datasets and experiments, download the zip straight from the export route. */
import { getJson, HttpError, request, type Experiment } from '../api.js';
import { h, toast } from '../dom.js';
import type { Page } from '../main.js';

interface Dataset {
  dataset_name: string;
  display_name: string;
  description?: string;
  has_experiment: boolean;
}

export const renderExport: Page = async (root, ctx) => {
  const [datasets, exps] = await Promise.all([getJson<Dataset[]>('/api/datasets/exportable'), getJson<Experiment[]>('/api/experiments')]);
  const boxes = datasets.map((d) => {
    const id = `ds-${d.dataset_name}`;
    const box = h('input', { type: 'checkbox', id, value: d.dataset_name, name: 'dataset' });
    return { box, el: h('li', {}, box, h('label', { for: id }, h('strong', {}, d.display_name), d.description ? h('span', { class: 'muted' }, ` — ${d.description}`) : '')) };
  });
  const expSel = h(
    'select',
    { id: 'export-exp' },
    ...exps.map((x) => h('option', { value: x.experiment, selected: x.experiment === ctx.exp?.experiment }, x.experiment)),
    h('option', { value: '<All experiments>' }, 'All experiments'),
  );
  const byUnit = h('input', { type: 'checkbox', id: 'export-by-unit' });
  const msg = h('p', { role: 'status' });
  const submit = h('button', { type: 'submit' }, 'Export and download');
  const form = h(
    'form',
    { class: 'card form', id: 'export-form' },
    h('fieldset', {}, h('legend', {}, 'Datasets'), h('ul', { class: 'datasets' }, ...boxes.map((b) => b.el))),
    h('label', { for: 'export-exp' }, 'Experiment'),
    expSel,
    h('span', {}, byUnit, h('label', { for: 'export-by-unit' }, ' One file per unit')),
    submit,
    msg,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const chosen = boxes.filter((b) => b.box.checked).map((b) => b.box.value);
    if (chosen.length === 0) {
      msg.textContent = 'Pick at least one dataset.';
      return;
    }
    submit.disabled = true;
    msg.textContent = 'Exporting…';
    const all = expSel.value === '<All experiments>';
    const body = { datasets: chosen, experiments: all ? ['<All experiments>'] : [expSel.value], partition_by_unit: byUnit.checked, partition_by_experiment: true };
    request('/api/datasets/exportable/export', { method: 'POST', body: JSON.stringify(body), headers: { Accept: 'application/zip' } })
      .then(async (r) => {
        const cd = r.headers.get('Content-Disposition') ?? '';
        const filename = /filename="([^"]+)"/.exec(cd)?.[1] ?? 'export.zip';
        const blob = await r.blob();
        const url = URL.createObjectURL(blob);
        const a = h('a', { href: url, download: filename });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
        msg.textContent = `Downloaded ${filename} (${Math.round(blob.size / 1024)} KiB).`;
      })
      .catch((e: unknown) => {
        msg.textContent = '';
        if (!(e instanceof HttpError && e.status === 401)) toast(`Export failed: ${(e as Error).message}`, true);
      })
      .finally(() => (submit.disabled = false));
  });
  root.append(form);
};
