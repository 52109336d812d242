// The page's JavaScript glue, loaded before the Leptos app hydrates. It owns the two heavy
// libraries and exposes the small API the Rust side binds to (app/src/js.rs) as `window.wheelhouse`:
//
//   wheelhouse.terminal.run(line)        type a line into the terminal and run it
//   wheelhouse.editor.open(path, text?)  show a workspace file (Monaco is loaded on first use)
//   wheelhouse.editor.save()             a promise that settles once every edit is saved
//   wheelhouse.editor.setDiagnostics(path, messages)
//   wheelhouse.setTheme('light'|'dark'), wheelhouse.copyText(text)
import { createTerminal } from './terminal.js';
import { createEditor } from './editor-proxy.js';

const page = readPage();
const theme = initialTheme();
document.documentElement.setAttribute('data-theme', theme);

const terminal = createTerminal({ session: page.session, theme });
const editor = createEditor({ session: page.session, files: page.files, theme });

window.wheelhouse = {
  terminal,
  editor,
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

// Keyboard shortcuts that work anywhere on the page.
document.addEventListener('keydown', (event) => {
  const mod = event.ctrlKey || event.metaKey;
  if (mod && event.key === '`') {
    event.preventDefault();
    terminal.focus();
  } else if (mod && event.key === 'Enter') {
    event.preventDefault();
    document.getElementById('apply')?.click();
  } else if (mod && event.key.toLowerCase() === 's') {
    event.preventDefault();
    editor.save();
  }
});
