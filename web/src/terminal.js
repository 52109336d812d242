// The terminal: xterm.js with a small line editor (history, cursor keys, Ctrl-C, Ctrl-L, paste)
// in front of the session's shell, `POST /api/sessions/{id}/shell`, one line at a time.
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';

const PROMPT = '\x1b[1;32m$\x1b[0m ';

const THEMES = {
  light: { background: '#fbfbfd', foreground: '#1d1f24', cursor: '#1d1f24', selectionBackground: '#c8d7f5' },
  dark: { background: '#15171c', foreground: '#e4e6eb', cursor: '#e4e6eb', selectionBackground: '#334a73' },
};

export function createTerminal({ session, theme }) {
  let term = null;
  let fit = null;
  let line = '';
  let cursor = 0;
  const history = [];
  let historyIndex = 0;
  // Lines wait here while one runs, so "run" buttons and typing never interleave.
  const queue = [];
  let running = false;

  function mount(host) {
    if (!host || term) return;
    host.replaceChildren();
    term = new Terminal({
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize: 13,
      cursorBlink: true,
      convertEol: true,
      scrollback: 5000,
      theme: THEMES[theme] || THEMES.light,
    });
    fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host);
    term.textarea?.setAttribute('aria-label', 'Terminal input');
    fit.fit();
    new ResizeObserver(() => fit.fit()).observe(host);
    term.writeln('Welcome to Wheelhouse. Your cluster is ready: try \x1b[1mkubectl get nodes\x1b[0m');
    term.write(PROMPT);
    term.onData(onData);
    host.dataset.ready = 'true';
  }

  function redraw() {
    // Rewrite the line after the prompt and put the cursor back where it belongs.
    term.write('\r\x1b[2K' + PROMPT + line);
    const back = line.length - cursor;
    if (back > 0) term.write(`\x1b[${back}D`);
  }

  function onData(data) {
    if (running) {
      if (data === '\x03') term.write('^C');
      return;
    }
    // A paste can carry several lines: each complete one runs.
    if (data.length > 1 && /[\r\n]/.test(data)) {
      const parts = data.split(/\r\n|\r|\n/);
      const last = parts.pop();
      for (const part of parts) submit(line.slice(0, cursor) + part + line.slice(cursor));
      line = last;
      cursor = line.length;
      return;
    }
    switch (data) {
      case '\r':
        submit(line);
        return;
      case '\x7f': // Backspace
        if (cursor > 0) {
          line = line.slice(0, cursor - 1) + line.slice(cursor);
          cursor--;
          redraw();
        }
        return;
      case '\x03': // Ctrl-C
        term.write('^C\r\n' + PROMPT);
        line = '';
        cursor = 0;
        return;
      case '\x0c': // Ctrl-L
        term.clear();
        redraw();
        return;
      case '\x1b[A': // Up
        if (historyIndex > 0) {
          historyIndex--;
          line = history[historyIndex];
          cursor = line.length;
          redraw();
        }
        return;
      case '\x1b[B': // Down
        if (historyIndex < history.length) {
          historyIndex++;
          line = history[historyIndex] ?? '';
          cursor = line.length;
          redraw();
        }
        return;
      case '\x1b[D':
        if (cursor > 0) { cursor--; term.write(data); }
        return;
      case '\x1b[C':
        if (cursor < line.length) { cursor++; term.write(data); }
        return;
      case '\x1b[H': case '\x01':
        cursor = 0; redraw();
        return;
      case '\x1b[F': case '\x05':
        cursor = line.length; redraw();
        return;
    }
    if (data.startsWith('\x1b')) return;
    const printable = data.replace(/[\x00-\x1f]/g, '');
    line = line.slice(0, cursor) + printable + line.slice(cursor);
    cursor += printable.length;
    redraw();
  }

  function submit(text) {
    term.write('\r\n');
    line = '';
    cursor = 0;
    enqueue(text, false);
  }

  function enqueue(text, echo) {
    return new Promise((resolve) => {
      queue.push({ text, echo, resolve });
      if (!running) drain();
    });
  }

  async function drain() {
    running = true;
    while (queue.length) {
      const { text, echo, resolve } = queue.shift();
      if (echo) term.write('\r\x1b[2K' + PROMPT + text + '\r\n');
      if (text.trim()) {
        history.push(text);
        await execute(text);
      }
      historyIndex = history.length;
      term.write(PROMPT);
      resolve();
    }
    running = false;
  }

  async function execute(text) {
    try {
      const response = await fetch(`/api/sessions/${session}/shell`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ line: text }),
      });
      const out = await response.json();
      if (!response.ok) {
        term.write(`\x1b[31m${out.error ?? response.statusText}\x1b[0m\r\n`);
        return;
      }
      if (out.stdout) term.write(out.stdout);
      if (out.stderr) term.write(`\x1b[31m${out.stderr}\x1b[0m`);
    } catch (error) {
      term.write(`\x1b[31mconnection to the server lost: ${error.message}\x1b[0m\r\n`);
    }
  }

  return {
    mount,
    run(text) {
      return enqueue(text, true);
    },
    focus() {
      term?.focus();
    },
    setTheme(name) {
      if (term) term.options.theme = THEMES[name] || THEMES.light;
    },
  };
}
