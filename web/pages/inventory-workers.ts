/**
 * The inventory's workers: the table (`GET /api/workers`) with each unit's model, active state, blink and
 * remove (a confirm step first); the add form; and Discover, listing units seen on the network that are not
 * in the inventory yet (`GET /api/workers/discover`), each with its own Add button.
 */
import { enc, getJson, HttpError, send } from '../api.js';
import { fmtTime, h, toast } from '../dom.js';

export interface Worker {
  pioreactor_unit: string;
  added_at: string;
  is_active: number;
  model_name: string | null;
  model_version: string | null;
}

interface Model {
  model_name: string;
  model_version: string;
  display_name: string;
  is_legacy: boolean;
}

interface Found {
  pioreactor_unit: string;
  host: string;
  addresses: string[];
  version: string | null;
  source: string;
}

const UNIT_PATTERN = '[A-Za-z0-9][A-Za-z0-9_\\-]{0,62}';
const modelKey = (name: string, version: string) => `${name}|${version}`;

const failed = (e: unknown): string | null => (e instanceof HttpError && e.status === 401 ? null : (e as Error).message);

export interface WorkersSection {
  el: HTMLElement;
  load(focusId?: string): Promise<Worker[]>;
}

export function workersSection(onChange: (workers: Worker[]) => void): WorkersSection {
  let workers: Worker[] = [];
  let models: Model[] = [];
  let found: Found[] | null = null;

  const title = h('h2', { id: 'workers-title', tabindex: -1 }, 'Workers in the inventory');
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'list inv-workers', id: 'workers', 'aria-labelledby': 'workers-title' },
    h('thead', {}, h('tr', {}, ...['Unit', 'Model', 'State', 'Added', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
    tbody,
  );

  const modelOptions = (current: { name: string | null; version: string | null }, unsetLabel: string | null) => {
    const opts: HTMLOptionElement[] = [];
    const cur = current.name && current.version ? modelKey(current.name, current.version) : '';
    if (unsetLabel !== null) opts.push(h('option', { value: '', selected: cur === '' }, unsetLabel));
    for (const m of models) {
      const k = modelKey(m.model_name, m.model_version);
      opts.push(h('option', { value: k, selected: k === cur }, `${m.display_name}${m.is_legacy ? ' (legacy)' : ''}`));
    }
    if (cur && !models.some((m) => modelKey(m.model_name, m.model_version) === cur)) opts.push(h('option', { value: cur, selected: true }, `${current.name} ${current.version}`));
    return opts;
  };

  const row = (w: Worker): HTMLTableRowElement => {
    const u = w.pioreactor_unit;
    const active = w.is_active === 1;
    const modelSel = h('select', { id: `worker-${u}-model`, 'aria-label': `Model of ${u}` }, ...modelOptions({ name: w.model_name, version: w.model_version }, w.model_name ? null : 'Not set'));
    modelSel.addEventListener('change', () => {
      const [name, version] = modelSel.value.split('|');
      if (!name || !version) return;
      modelSel.disabled = true;
      send('PUT', `/api/workers/${enc(u)}/model`, { model_name: name, model_version: version }).then(
        () => {
          toast(`${u} is now a ${modelSel.selectedOptions[0]?.textContent ?? `${name} ${version}`}`);
          void load(`worker-${u}-model`);
        },
        (e: unknown) => {
          modelSel.disabled = false;
          const msg = failed(e);
          if (msg) toast(`Could not set the model of ${u}: ${msg}`, true);
          void load(`worker-${u}-model`);
        },
      );
    });

    const toggle = h('button', { type: 'button', id: `worker-${u}-toggle`, 'aria-label': `${active ? 'Deactivate' : 'Activate'} ${u}`, title: active ? 'Stops its jobs; it takes no new ones until activated.' : null }, active ? 'Deactivate' : 'Activate');
    toggle.addEventListener('click', () => {
      toggle.disabled = true;
      send('PUT', `/api/workers/${enc(u)}/is_active`, { is_active: active ? 0 : 1 }).then(
        () => {
          toast(`${u} is now ${active ? 'inactive' : 'active'}`);
          void load(`worker-${u}-toggle`);
        },
        (e: unknown) => {
          toggle.disabled = false;
          const msg = failed(e);
          if (msg) toast(`Could not change ${u}: ${msg}`, true);
        },
      );
    });

    const blink = h('button', { type: 'button', id: `worker-${u}-blink`, 'aria-label': `Blink ${u}`, title: "Flash the unit's LED to find it on the bench" }, 'Blink');
    blink.addEventListener('click', () => {
      send('POST', `/api/workers/${enc(u)}/blink`).then(
        () => toast(`Asked ${u} to blink its LED`),
        (e: unknown) => {
          const msg = failed(e);
          if (msg) toast(`Could not blink ${u}: ${msg}`, true);
        },
      );
    });

    const remove = h('button', { type: 'button', id: `worker-${u}-remove`, 'aria-label': `Remove ${u}` }, 'Remove');
    const actions = h('div', { class: 'inv-actions' }, toggle, blink, remove);
    const normal = () => {
      actions.replaceChildren(toggle, blink, remove);
      remove.focus();
    };
    actions.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && !actions.contains(remove)) normal();
    });
    remove.addEventListener('click', () => {
      const question = h('span', { class: 'inv-confirm', id: `worker-${u}-confirm` }, `Remove ${u}? Its jobs stop, and its own config file is deleted.`);
      const yes = h('button', { type: 'button', class: 'danger', 'aria-describedby': `worker-${u}-confirm` }, `Yes, remove ${u}`);
      const no = h('button', { type: 'button' }, 'Cancel');
      no.addEventListener('click', normal);
      yes.addEventListener('click', () => {
        yes.disabled = true;
        no.disabled = true;
        send('DELETE', `/api/workers/${enc(u)}`).then(
          () => {
            toast(`Removed ${u} from the inventory`);
            void load('workers-title');
          },
          (e: unknown) => {
            const msg = failed(e);
            if (msg) toast(`Could not remove ${u}: ${msg}`, true);
            normal();
          },
        );
      });
      actions.replaceChildren(question, yes, no);
      no.focus();
    });

    const state = h('span', { class: 'inv-state', 'data-active': active ? '1' : '0' }, active ? '● Active' : '○ Inactive');
    return h(
      'tr',
      { 'data-unit': u, 'data-active': active ? '1' : '0' },
      h('th', { scope: 'row' }, u),
      h('td', {}, modelSel),
      h('td', {}, state),
      h('td', { class: 'inv-added' }, w.added_at ? fmtTime(w.added_at) : ''),
      h('td', {}, actions),
    );
  };

  const render = () => {
    tbody.replaceChildren(...workers.map(row));
    if (workers.length === 0) tbody.append(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No workers yet: add one below, or discover the ones on the network.')));
  };

  // Add a worker by name.
  const unitIn = h('input', { id: 'add-worker-unit', name: 'unit', required: true, maxlength: 63, pattern: UNIT_PATTERN, autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'add-worker-hint' });
  const modelIn = h('select', { id: 'add-worker-model' });
  const addMsg = h('p', { class: 'error', role: 'alert', id: 'add-worker-msg' });
  const addBtn = h('button', { type: 'submit' }, 'Add worker');
  const addForm = h(
    'form',
    { class: 'card form', id: 'add-worker', 'aria-labelledby': 'add-worker-title' },
    h('h3', { id: 'add-worker-title' }, 'Add a worker'),
    h('label', { for: 'add-worker-unit' }, 'Unit name'),
    unitIn,
    h('span', { class: 'muted inv-hint', id: 'add-worker-hint' }, 'Its hostname: letters, digits, - and _.'),
    h('label', { for: 'add-worker-model' }, 'Model'),
    modelIn,
    addBtn,
    addMsg,
  );

  const add = async (unit: string, model: string): Promise<void> => {
    const [name, version] = model ? model.split('|') : [];
    await send('PUT', '/api/workers', { pioreactor_unit: unit, model_name: name ?? null, model_version: version ?? null });
    toast(`Added ${unit} to the inventory`);
    if (found) {
      found = found.filter((f) => f.pioreactor_unit !== unit);
      renderFound();
    }
    await load();
  };

  unitIn.addEventListener('input', () => (addMsg.textContent = ''));
  addForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    addMsg.textContent = '';
    const unit = unitIn.value.trim();
    if (workers.some((w) => w.pioreactor_unit === unit)) {
      addMsg.textContent = `${unit} is already in the inventory.`;
      unitIn.focus();
      return;
    }
    addBtn.disabled = true;
    add(unit, modelIn.value).then(
      () => {
        addBtn.disabled = false;
        unitIn.value = '';
        unitIn.focus();
      },
      (e: unknown) => {
        addBtn.disabled = false;
        addMsg.textContent = failed(e) ?? '';
      },
    );
  });

  // Discover: units seen on the network (mDNS, or [discovery] static_workers) and not in the inventory.
  const discoverBtn = h('button', { type: 'button', id: 'discover' }, 'Discover workers');
  const foundBox = h('div', { id: 'discovered', 'aria-live': 'polite' });
  const renderFound = () => {
    if (found === null) return;
    if (found.length === 0) {
      foundBox.replaceChildren(h('p', { class: 'muted' }, 'No new workers found on the network.'));
      return;
    }
    foundBox.replaceChildren(
      h(
        'div',
        { class: 'inv-table-wrap' },
        h(
          'table',
          { class: 'list', id: 'discovered-table' },
          h('caption', {}, `Found ${found.length} worker${found.length === 1 ? '' : 's'} not in the inventory`),
          h('thead', {}, h('tr', {}, ...['Unit', 'Host', 'Version', 'Seen by', ''].map((c) => h('th', { scope: 'col' }, c)))),
          h(
            'tbody',
            {},
            ...found.map((f) => {
              const u = f.pioreactor_unit;
              const b = h('button', { type: 'button', 'aria-label': `Add ${u} to the inventory` }, 'Add');
              b.addEventListener('click', () => {
                b.disabled = true;
                add(u, '').then(
                  () => document.getElementById(`worker-${u}-model`)?.focus(),
                  (e: unknown) => {
                    b.disabled = false;
                    const msg = failed(e);
                    if (msg) toast(`Could not add ${u}: ${msg}`, true);
                  },
                );
              });
              const host = [f.host, ...f.addresses.filter((a) => a !== f.host)].join(', ');
              return h('tr', { 'data-unit': u }, h('th', { scope: 'row' }, u), h('td', {}, host), h('td', {}, f.version ?? 'unknown'), h('td', {}, f.source), h('td', {}, b));
            }),
          ),
        ),
      ),
    );
  };
  discoverBtn.addEventListener('click', () => {
    discoverBtn.disabled = true;
    foundBox.setAttribute('aria-busy', 'true');
    foundBox.replaceChildren(h('p', { class: 'muted' }, 'Looking for workers on the network…'));
    getJson<Found[]>('/api/workers/discover').then(
      (rows) => {
        found = rows;
        renderFound();
      },
      (e: unknown) => {
        const msg = failed(e);
        foundBox.replaceChildren(h('p', { class: 'error' }, msg ? `Discovery failed: ${msg}` : ''));
      },
    ).finally(() => {
      discoverBtn.disabled = false;
      foundBox.removeAttribute('aria-busy');
    });
  });
  const discover = h(
    'section',
    { class: 'card', id: 'discover-panel', 'aria-labelledby': 'discover-title' },
    h('h3', { id: 'discover-title' }, 'Discover workers'),
    h('p', { class: 'muted' }, 'Lists units that announce themselves on the network but are not in the inventory yet.'),
    discoverBtn,
    foundBox,
  );

  const el = h('section', { class: 'card inv-workers-card', 'aria-labelledby': 'workers-title' }, title, h('div', { class: 'inv-table-wrap' }, table), h('div', { class: 'forms inv-forms' }, addForm, discover));

  async function load(focusId?: string): Promise<Worker[]> {
    const [ws, ms] = await Promise.all([
      getJson<Worker[]>('/api/workers'),
      models.length ? Promise.resolve(models) : getJson<{ models: Model[] }>('/api/models').then((r) => r.models, () => [] as Model[]),
    ]);
    workers = ws;
    if (!models.length && ms.length) {
      models = ms;
      modelIn.replaceChildren(...modelOptions({ name: null, version: null }, 'Not set (choose later)'));
    }
    render();
    if (focusId) document.getElementById(focusId)?.focus();
    onChange(ws);
    return ws;
  }

  return { el, load };
}
