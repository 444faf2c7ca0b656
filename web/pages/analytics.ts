/** Analytics page: being written (issue 11). */
import { h } from '../dom.js';
import type { Page } from '../main.js';

export const renderAnalytics: Page = async (root) => {
  root.append(h('p', { class: 'muted' }, 'This page is not written yet.'));
};
