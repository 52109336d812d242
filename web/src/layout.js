// The workbench's pane sizes: the splitters between lesson | editor/terminal | cluster and between
// editor and terminal (rendered by app/src/lib.rs as `role="separator"` elements with
// `data-split`), dragged with the pointer or moved with the arrow keys, and remembered in
// localStorage. Sizes are percentages held in CSS custom properties on <html>
// (`--lesson-size`, `--cluster-size`, `--editor-size`), which style/main.css lays the grid out with.
//
// Also the presenter layout (`<html data-layout="presenter">`): larger type for a projector.

const STORAGE_KEY = 'wheelhouse-layout';

/** Each splitter's pane, its limits and default, in percent of the workbench (or centre column). */
export const SPLITS = {
  lesson: { min: 15, max: 45, initial: 26 },
  cluster: { min: 15, max: 45, initial: 28 },
  editor: { min: 20, max: 85, initial: 60 },
};
/** The centre column keeps at least this share of the width. */
const CENTRE_MIN = 30;
const STEP = 2;
const BIG_STEP = 10;

/** Limits a size to what its splitter allows, given the other sizes. */
export function clampSize(name, value, sizes) {
  const { min, max } = SPLITS[name];
  let limit = max;
  if (name === 'lesson') limit = Math.min(max, 100 - CENTRE_MIN - sizes.cluster);
  if (name === 'cluster') limit = Math.min(max, 100 - CENTRE_MIN - sizes.lesson);
  return Math.round(Math.min(Math.max(value, min), Math.max(limit, min)) * 10) / 10;
}

/** The saved sizes, each valid or its default. */
export function loadSizes(storage) {
  let saved = {};
  try {
    saved = JSON.parse(storage?.getItem(STORAGE_KEY) || '{}') || {};
  } catch {}
  const sizes = {};
  for (const [name, { initial }] of Object.entries(SPLITS)) {
    sizes[name] = Number.isFinite(saved[name]) ? saved[name] : initial;
  }
  for (const name of Object.keys(SPLITS)) sizes[name] = clampSize(name, sizes[name], sizes);
  return sizes;
}

/** The size a key press moves a splitter to, or null for keys it ignores. */
export function keySize(name, key, shift, current) {
  const step = shift ? BIG_STEP : STEP;
  const { min, max } = SPLITS[name];
  // The splitter's pane grows toward the key's direction: the lesson pane is on the left, the
  // cluster pane on the right, the editor above the terminal.
  const grow = { lesson: 'ArrowRight', cluster: 'ArrowLeft', editor: 'ArrowDown' }[name];
  const shrink = { lesson: 'ArrowLeft', cluster: 'ArrowRight', editor: 'ArrowUp' }[name];
  if (key === grow) return current + step;
  if (key === shrink) return current - step;
  if (key === 'Home') return min;
  if (key === 'End') return max;
  return null;
}

export function createLayout({ storage = globalThis.localStorage } = {}) {
  const root = document.documentElement;
  let sizes = loadSizes(storage);

  function apply() {
    for (const [name, value] of Object.entries(sizes)) {
      root.style.setProperty(`--${name}-size`, `${value}%`);
      for (const el of document.querySelectorAll(`[data-split="${name}"]`)) {
        el.setAttribute('aria-valuemin', String(SPLITS[name].min));
        el.setAttribute('aria-valuemax', String(SPLITS[name].max));
        el.setAttribute('aria-valuenow', String(Math.round(value)));
      }
    }
  }

  function set(name, value, { save = true } = {}) {
    sizes = { ...sizes, [name]: clampSize(name, value, sizes) };
    apply();
    if (save) storage?.setItem(STORAGE_KEY, JSON.stringify(sizes));
  }

  /** The size under the pointer for a drag of `name`'s splitter. */
  function pointerSize(name, event) {
    if (name === 'editor') {
      const centre = document.querySelector('.center')?.getBoundingClientRect();
      return centre ? ((event.clientY - centre.top) / centre.height) * 100 : sizes.editor;
    }
    const bench = document.querySelector('.workbench')?.getBoundingClientRect();
    if (!bench) return sizes[name];
    const x = name === 'lesson' ? event.clientX - bench.left : bench.right - event.clientX;
    return (x / bench.width) * 100;
  }

  function onPointerDown(event) {
    const splitter = event.target.closest?.('[data-split]');
    if (!splitter || event.button !== 0) return;
    const name = splitter.dataset.split;
    event.preventDefault();
    splitter.setPointerCapture?.(event.pointerId);
    splitter.focus();
    root.dataset.resizing = name;
    const move = (e) => set(name, pointerSize(name, e), { save: false });
    const up = (e) => {
      splitter.removeEventListener('pointermove', move);
      splitter.removeEventListener('pointerup', up);
      splitter.removeEventListener('pointercancel', up);
      delete root.dataset.resizing;
      set(name, pointerSize(name, e));
    };
    splitter.addEventListener('pointermove', move);
    splitter.addEventListener('pointerup', up);
    splitter.addEventListener('pointercancel', up);
  }

  function onKeyDown(event) {
    const splitter = event.target.closest?.('[data-split]');
    if (!splitter) return;
    const name = splitter.dataset.split;
    const next = keySize(name, event.key, event.shiftKey, sizes[name]);
    if (next === null) return;
    event.preventDefault();
    set(name, next);
  }

  function onDoubleClick(event) {
    const splitter = event.target.closest?.('[data-split]');
    if (splitter) set(splitter.dataset.split, SPLITS[splitter.dataset.split].initial);
  }

  apply();
  document.addEventListener('pointerdown', onPointerDown);
  document.addEventListener('keydown', onKeyDown);
  document.addEventListener('dblclick', onDoubleClick);
  // The splitters may be rendered after this runs (hydration); give them their values then.
  const observer = new MutationObserver(() => {
    if (document.querySelector('[data-split]')) {
      apply();
      observer.disconnect();
    }
  });
  if (!document.querySelector('[data-split]')) {
    observer.observe(document.documentElement, { childList: true, subtree: true });
  }

  return {
    sizes: () => ({ ...sizes }),
    set,
    reset() {
      storage?.removeItem(STORAGE_KEY);
      sizes = loadSizes(null);
      apply();
    },
  };
}
