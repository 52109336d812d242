// The editor as the page sees it before and after Monaco has loaded. It keeps the workspace files'
// text and saves edits to the session (`PUT /api/sessions/{id}/files/{path}`) a moment after the
// learner stops typing, so a refresh never loses anything. Monaco itself (editor.js, a separate
// bundle of about 1 MB gzipped with its workers) is imported only when the editor mounts, after
// the page is interactive.

const SAVE_DELAY_MS = 300;
const STARTER = '# Write a manifest here, then press Apply (Ctrl+Enter).\n';

export function createEditor({ session, files, theme }) {
  const texts = new Map((files || []).map(([path, text]) => [path, text]));
  const timers = new Map();
  const inFlight = new Set();
  let current = texts.keys().next().value ?? 'pod.yaml';
  let monaco = null; // the loaded editor (editor.js's API)
  let currentTheme = theme;
  let fontSize = null; // set by the presenter layout
  const diagnostics = new Map();

  function textOf(path) {
    return texts.has(path) ? texts.get(path) : STARTER;
  }

  function changed(path, text) {
    texts.set(path, text);
    clearTimeout(timers.get(path));
    timers.set(path, setTimeout(() => saveNow(path), SAVE_DELAY_MS));
  }

  function saveNow(path) {
    clearTimeout(timers.get(path));
    timers.delete(path);
    const body = texts.get(path);
    const request = fetch(`/api/sessions/${session}/files/${encodeURI(path)}`, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body,
    })
      .then((r) => {
        document.body.dataset.saved = r.ok ? path : '';
      })
      .catch(() => {})
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
    return request;
  }

  let mounted;
  let hostElement = null;
  function mount(host) {
    if (!host) return;
    hostElement = host;
    mounted ??= load(host);
    return mounted;
  }

  async function load(host) {
    const css = document.createElement('link');
    css.rel = 'stylesheet';
    css.href = new URL('./editor.css', import.meta.url).href;
    document.head.append(css);
    // A computed specifier keeps the bundler from pulling Monaco (and its CSS) into the first load.
    const editorModule = new URL('./editor.js', import.meta.url).href;
    const { loadEditor } = await import(editorModule);
    monaco = await loadEditor(host, {
      theme: currentTheme,
      textOf,
      onChange: changed,
    });
    monaco.show(current);
    if (fontSize) monaco.setFontSize(fontSize);
    for (const [path, messages] of diagnostics) monaco.setDiagnostics(path, messages);
    host.dataset.ready = 'true';
  }

  return {
    mount,
    open(path, text) {
      current = path;
      if (text !== undefined && text !== null) {
        changed(path, text);
        monaco?.replace(path, text);
      }
      monaco?.show(path);
    },
    async save() {
      for (const path of [...timers.keys()]) saveNow(path);
      await Promise.all([...inFlight]);
    },
    setDiagnostics(path, messages) {
      diagnostics.set(path, messages);
      monaco?.setDiagnostics(path, messages);
    },
    setTheme(name) {
      currentTheme = name;
      monaco?.setTheme(name);
    },
    active() {
      return current;
    },
    /**
     * `kubectl edit`: shows `content` in the editor until the learner saves or cancels; resolves to
     * the saved text, or null when cancelled.
     */
    async edit(path, content) {
      await mounted;
      const doc = monaco.showScratch(path, content);
      const bar = document.createElement('div');
      bar.className = 'edit-bar';
      bar.setAttribute('role', 'toolbar');
      bar.setAttribute('aria-label', 'kubectl edit');
      bar.innerHTML = '<span></span><button class="button primary">Save and close</button><button class="button">Cancel</button>';
      bar.querySelector('span').textContent = `kubectl edit: ${path}`;
      hostElement.before(bar);
      const [save, cancel] = bar.querySelectorAll('button');
      const text = await new Promise((resolve) => {
        save.onclick = () => resolve(doc.text());
        cancel.onclick = () => resolve(null);
      });
      bar.remove();
      monaco.show(current);
      doc.dispose();
      return text;
    },
    /** The messages of every marker Monaco shows (schema and server diagnostics). */
    markers() {
      return monaco?.markers() ?? [];
    },
    /** The server's diagnostics with their places: `[{ message, line, column }]`. */
    serverMarkers() {
      return monaco?.serverMarkers() ?? [];
    },
    focus() {
      monaco?.focus();
    },
    setFontSize(px) {
      fontSize = px;
      monaco?.setFontSize(px);
    },
  };
}
