/** Experiments: the list (pick which one the pages show), create one, assign units to one. */
import { enc, getJson, HttpError, pickExperiment, send, type Experiment } from '../api.js';
import { h, toast } from '../dom.js';
import type { Page } from '../main.js';

interface Assignment {
  pioreactor_unit: string;
  experiment: string | null;
  is_active: number;
}

export const renderExperiments: Page = async (root, ctx) => {
  const [exps, assignments] = await Promise.all([getJson<Experiment[]>('/api/experiments'), getJson<Assignment[]>('/api/workers/assignments')]);
  const current = ctx.exp?.experiment ?? null;

  const table = h(
    'table',
    { class: 'list', id: 'experiments' },
    h('caption', {}, 'Experiments'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, 'Description'), h('th', { scope: 'col' }, 'Units'), h('th', { scope: 'col' }, ''))),
    h(
      'tbody',
      {},
      ...exps.map((x) => {
        const units = assignments.filter((a) => a.experiment === x.experiment).map((a) => a.pioreactor_unit);
        const show = h('button', { type: 'button', 'aria-label': `Show ${x.experiment}` }, x.experiment === current ? 'Shown' : 'Show');
        show.disabled = x.experiment === current;
        show.addEventListener('click', () => {
          pickExperiment(x.experiment);
          ctx.reload();
        });
        return h('tr', { 'data-experiment': x.experiment }, h('td', {}, x.experiment), h('td', {}, new Date(x.created_at).toLocaleString()), h('td', {}, x.description ?? ''), h('td', { class: 'assigned' }, units.join(', ')), h('td', {}, show));
      }),
    ),
  );

  const name = h('input', { id: 'new-exp-name', required: true, maxlength: 199 });
  const desc = h('input', { id: 'new-exp-desc' });
  const createMsg = h('p', { class: 'error', role: 'alert' });
  const create = h(
    'form',
    { class: 'card form', id: 'create-experiment', 'aria-labelledby': 'create-title' },
    h('h2', { id: 'create-title' }, 'New experiment'),
    h('label', { for: 'new-exp-name' }, 'Name'),
    name,
    h('label', { for: 'new-exp-desc' }, 'Description'),
    desc,
    h('button', { type: 'submit' }, 'Create'),
    createMsg,
  );
  create.addEventListener('submit', (ev) => {
    ev.preventDefault();
    createMsg.textContent = '';
    send('POST', '/api/experiments', { experiment: name.value.trim(), description: desc.value }).then(
      () => {
        pickExperiment(name.value.trim());
        toast(`Created ${name.value.trim()}`);
        ctx.reload();
      },
      (e: unknown) => {
        if (!(e instanceof HttpError && e.status === 401)) createMsg.textContent = (e as Error).message;
      },
    );
  });

  const unitSel = h('select', { id: 'assign-unit' }, ...assignments.map((a) => h('option', { value: a.pioreactor_unit }, `${a.pioreactor_unit}${a.experiment ? ` (in ${a.experiment})` : ''}`)));
  const expSel = h('select', { id: 'assign-exp' }, ...exps.map((x) => h('option', { value: x.experiment, selected: x.experiment === current }, x.experiment)));
  const assignMsg = h('p', { class: 'error', role: 'alert' });
  const assign = h(
    'form',
    { class: 'card form', id: 'assign-unit-form', 'aria-labelledby': 'assign-title' },
    h('h2', { id: 'assign-title' }, 'Assign a unit'),
    h('label', { for: 'assign-unit' }, 'Unit'),
    unitSel,
    h('label', { for: 'assign-exp' }, 'Experiment'),
    expSel,
    h('button', { type: 'submit', disabled: assignments.length === 0 || exps.length === 0 }, 'Assign'),
    assignMsg,
  );
  assign.addEventListener('submit', (ev) => {
    ev.preventDefault();
    assignMsg.textContent = '';
    send('PUT', `/api/experiments/${enc(expSel.value)}/workers`, { pioreactor_unit: unitSel.value }).then(
      () => {
        toast(`Assigned ${unitSel.value} to ${expSel.value}`);
        ctx.reload();
      },
      (e: unknown) => {
        if (!(e instanceof HttpError && e.status === 401)) assignMsg.textContent = (e as Error).message;
      },
    );
  });

  root.append(h('div', { class: 'forms' }, create, assign), table);
};
