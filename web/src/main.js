// The page's JavaScript glue, loaded before the Leptos app hydrates. It owns the two heavy
// libraries and exposes the small API the Rust side binds to (app/src/js.rs) as `window.wheelhouse`:
//
//   wheelhouse.terminal.run(line)        type a line into the terminal and run it
//   wheelhouse.editor.open(path, text?)  show a workspace file (Monaco is loaded on first use)
//   wheelhouse.editor.save()             a promise that settles once every edit is saved
//   wheelhouse.editor.setDiagnostics(path, messages)
//   wheelhouse.setTheme('light'|'dark'), wheelhouse.copyText(text)
//   wheelhouse.setLayout('workbench'|'presenter'), wheelhouse.layout (pane sizes, see layout.js)
import { createTerminal } from './terminal.js';
import { createEditor } from './editor-proxy.js';
import { createLayout } from './layout.js';

const page = readPage();
const theme = initialTheme();
document.documentElement.setAttribute('data-theme', theme);

const terminal = createTerminal({ session: page.session, theme });
const editor = createEditor({ session: page.session, files: page.files, theme });

const layout = createLayout();

/** Font sizes (px) of the terminal and editor in each layout; the presenter's carry to a room. */
const FONT_SIZES = { workbench: 13, presenter: 20 };

function setLayout(name) {
  const presenter = name === 'presenter';
  document.documentElement.dataset.layout = presenter ? 'presenter' : 'workbench';
  terminal.setFontSize(FONT_SIZES[presenter ? 'presenter' : 'workbench']);
  editor.setFontSize(FONT_SIZES[presenter ? 'presenter' : 'workbench']);
  // A refresh keeps the layout: it is in the address (the instructor dashboard links to it).
  const url = new URL(location.href);
  if (presenter) url.searchParams.set('presenter', '1');
  else url.searchParams.delete('presenter');
  history.replaceState(history.state, '', url);
}
if (document.documentElement.dataset.layout === 'presenter') setLayout('presenter');

window.wheelhouse = {
  terminal,
  editor,
  layout,
  setLayout,
  setTheme(name) {
    localStorage.setItem('wheelhouse-theme', name);
    terminal.setTheme(name);
    editor.setTheme(name);
  },
  copyText(text) {
    navigator.clipboard?.writeText(text).catch(() => {});
  },
};

function readPage() {
  try {
    return JSON.parse(document.getElementById('wheelhouse-page')?.textContent || '{}');
  } catch {
    return {};
  }
}

function initialTheme() {
  const saved = localStorage.getItem('wheelhouse-theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

// The hosts are rendered by the server; mount as soon as the document is parsed.
function mount() {
  terminal.mount(document.getElementById('terminal-host'));
  editor.mount(document.getElementById('editor-host'));
}
if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', mount, { once: true });
} else {
  mount();
}

// Keyboard shortcuts that work anywhere on the page (listed by the page's "Shortcuts" dialog,
// app/src/shortcuts.rs). They are taken in the capture phase, before Monaco and xterm.js see
// the keys: Monaco would otherwise insert a line on Ctrl+Enter.
document.addEventListener(
  'keydown',
  (event) => {
    const mod = event.ctrlKey || event.metaKey;
    const key = event.key.toLowerCase();
    if (mod && event.key === '`') {
      event.preventDefault();
      terminal.focus();
    } else if (mod && event.shiftKey && key === 'e') {
      event.preventDefault();
      editor.focus();
    } else if (mod && event.key === 'Enter') {
      event.preventDefault();
      event.stopPropagation();
      document.getElementById('apply')?.click();
    } else if (mod && !event.shiftKey && key === 's') {
      event.preventDefault();
      editor.save();
    } else if (event.key === '?' && !mod && !typing(event.target)) {
      event.preventDefault();
      document.getElementById('shortcuts-button')?.click();
    } else if (event.key === 'Escape' && document.querySelector('#shortcuts-dialog')) {
      document.querySelector('#shortcuts-dialog [data-close]')?.click();
    }
  },
  true,
);

/** Whether keys typed at `target` are text (so `?` is a question mark, not the help key). */
function typing(target) {
  return Boolean(target?.closest?.('input, textarea, select, [contenteditable=""], [contenteditable="true"], .monaco-editor, .xterm'));
}
