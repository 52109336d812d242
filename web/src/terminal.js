// The terminal: xterm.js with a small line editor (history, cursor keys, Ctrl-C, Ctrl-L, Tab,
// paste) in front of the session's shell. It talks to the terminal WebSocket
// (`/api/sessions/{id}/terminal`: streaming output, Ctrl-C, completion, shared history; protocol in
// server/src/routes/terminal.rs) and falls back to `POST /api/sessions/{id}/shell`, one line at a
// time, when the socket cannot be opened.
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';

const PROMPT = '\x1b[1;32m$\x1b[0m ';
/** The prompt drawn now: a container shell's after `kubectl exec -it` (the server says which). */
let prompt = PROMPT;

const THEMES = {
  light: { background: '#fbfbfd', foreground: '#1d1f24', cursor: '#1d1f24', selectionBackground: '#c8d7f5' },
  dark: { background: '#15171c', foreground: '#e4e6eb', cursor: '#e4e6eb', selectionBackground: '#334a73' },
};

export function createTerminal({ session, theme }) {
  let term = null;
  let fit = null;
  let fontSize = 13;
  let line = '';
  let cursor = 0;
  let history = [];
  let historyIndex = 0;
  // Lines wait here while one runs, so "run" buttons and typing never interleave.
  const queue = [];
  let running = null; // { resolve } of the line in flight
  let socket = null; // open WebSocket, or null when the HTTP fallback is in use

  function mount(host) {
    if (!host || term) return;
    host.replaceChildren();
    term = new Terminal({
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize,
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
    new ResizeObserver(() => {
      fit.fit();
      send({ type: 'resize', cols: term.cols, rows: term.rows });
    }).observe(host);
    term.writeln('Welcome to Wheelhouse. Your cluster is ready: try \x1b[1mkubectl get nodes\x1b[0m');
    term.onData(onData);
    connect().finally(() => {
      term.write(prompt);
      host.dataset.ready = 'true';
      host.dataset.transport = socket ? 'websocket' : 'http';
    });
  }

  /** Opens the terminal socket; resolves when it is open or known to be unavailable. */
  function connect() {
    return new Promise((resolve) => {
      let ws;
      try {
        const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
        ws = new WebSocket(`${scheme}://${location.host}/api/sessions/${session}/terminal`);
      } catch {
        return resolve();
      }
      const timer = setTimeout(() => ws.close(), 5000);
      ws.onopen = () => {
        clearTimeout(timer);
        socket = ws;
        send({ type: 'resize', cols: term.cols, rows: term.rows });
        resolve();
      };
      ws.onmessage = (event) => onMessage(JSON.parse(event.data));
      ws.onclose = () => {
        clearTimeout(timer);
        if (socket === ws) {
          socket = null;
          if (running) finish();
          term.write('\r\n\x1b[33m(terminal connection closed; reconnecting)\x1b[0m\r\n');
          setTimeout(() => connect().then(() => term.write(prompt)), 1000);
        }
        resolve();
      };
    });
  }

  function send(message) {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function onMessage(message) {
    switch (message.type) {
      case 'history':
        history = message.lines.slice();
        historyIndex = history.length;
        break;
      case 'output':
        term.write(message.stream === 'stderr' ? `\x1b[31m${message.data}\x1b[0m` : message.data);
        break;
      case 'exit':
        prompt = message.prompt ?? PROMPT;
        finish();
        break;
      case 'completions':
        complete(message);
        break;
      case 'edit':
        // `kubectl edit`: the document opens in the editor; saving it there answers the shell.
        window.wheelhouse?.editor.edit(message.path, message.content).then((content) =>
          send({ type: 'edited', content }),
        );
        break;
      case 'error':
        term.write(`\x1b[31m${message.message}\x1b[0m\r\n`);
        break;
    }
  }

  function redraw() {
    // Rewrite the line after the prompt and put the cursor back where it belongs.
    term.write('\r\x1b[2K' + prompt + line);
    const back = line.length - cursor;
    if (back > 0) term.write(`\x1b[${back}D`);
  }

  function complete({ start, candidates }) {
    if (!candidates.length) return;
    const typed = line.slice(start, cursor);
    let insert;
    if (candidates.length === 1) {
      insert = candidates[0] + ' ';
    } else {
      insert = candidates.reduce((prefix, c) => {
        let i = 0;
        while (i < prefix.length && prefix[i] === c[i]) i++;
        return prefix.slice(0, i);
      });
      if (insert.length <= typed.length) {
        term.write('\r\n' + candidates.join('  ') + '\r\n');
      }
    }
    if (insert.length >= typed.length) {
      line = line.slice(0, start) + insert + line.slice(cursor);
      cursor = start + insert.length;
    }
    redraw();
  }

  function onData(data) {
    if (running) {
      if (data === '\x03') {
        if (socket) send({ type: 'interrupt' });
        else term.write('^C');
        queue.length = 0;
      }
      return;
    }
    // A paste can carry several lines: each complete one runs.
    if (data.length > 1 && /[\r\n]/.test(data)) {
      const parts = data.split(/\r\n|\r|\n/);
      const last = parts.pop();
      const first = line.slice(0, cursor) + parts.shift() + line.slice(cursor);
      submit(first);
      for (const part of parts) enqueue(part, true);
      line = last;
      cursor = line.length;
      return;
    }
    switch (data) {
      case '\r':
        submit(line);
        return;
      case '\t':
        if (socket) send({ type: 'complete', line, cursor: new TextEncoder().encode(line.slice(0, cursor)).length });
        return;
      case '\x7f': // Backspace
        if (cursor > 0) {
          line = line.slice(0, cursor - 1) + line.slice(cursor);
          cursor--;
          redraw();
        }
        return;
      case '\x04': // Ctrl-D: ends an attached container shell (at an empty line)
        if (prompt !== PROMPT && line === '') {
          term.write('\r\n');
          enqueue('\x04', false);
        }
        return;
      case '\x03': // Ctrl-C
        term.write('^C\r\n' + prompt);
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
      if (!running) next();
    });
  }

  /** Starts the next queued line, if any. */
  function next() {
    const item = queue.shift();
    if (!item) return;
    const { text, echo, resolve } = item;
    if (echo) term.write('\r\x1b[2K' + prompt + text + '\r\n');
    if (!text.trim()) {
      term.write(prompt);
      resolve();
      return next();
    }
    if (text !== '\x04') {
      history.push(text);
      historyIndex = history.length;
    }
    running = { resolve };
    if (socket) send({ type: 'line', line: text });
    else execute(text).then(finish);
  }

  /** The running line ended: prompt again and go on with the queue. */
  function finish() {
    const done = running;
    running = null;
    term.write(prompt);
    done?.resolve();
    next();
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
    /** Sets the font size (the presenter layout's is larger) and refits the terminal. */
    setFontSize(px) {
      fontSize = px;
      if (!term) return;
      term.options.fontSize = px;
      fit.fit();
    },
    focus() {
      term?.focus();
    },
    setTheme(name) {
      if (term) term.options.theme = THEMES[name] || THEMES.light;
    },
  };
}
