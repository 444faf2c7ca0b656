/**
 * Inventory and config (issue 11): the workers in the inventory (add, remove, discover, activate, model,
 * blink) and the INI config editor with validation at the line and history. The pieces live in
 * inventory-workers.ts, inventory-config.ts and inventory-editor.ts.
 */
import type { Page } from '../main.js';
import { configSection } from './inventory-config.js';
import { workersSection } from './inventory-workers.js';

export const renderInventory: Page = async (root) => {
  const config = configSection();
  const workers = workersSection((ws) => {
    void config.setUnits(ws.map((w) => w.pioreactor_unit)).catch(() => undefined);
  });
  root.append(workers.el, config.el);
  await workers.load();
  await config.start();
  return () => config.dispose();
};
