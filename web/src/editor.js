// Monaco with YAML, validated against the Kubernetes 1.33 schemas of every served kind
// (kubernetes.schema.json, generated at build time from crates/apidefs/definitions.json by
// web/build/schema.mjs). No network: the schema is inline and schema requests are off.
import * as monaco from 'monaco-editor/esm/vs/editor/editor.api.js';
// The editor's features (hover, completion, find, folding, ...): editor.api.js is the bare core.
import 'monaco-editor/esm/vs/editor/editor.all.js';
import 'monaco-editor/esm/vs/basic-languages/yaml/yaml.contribution.js';
import { configureMonacoYaml } from 'monaco-yaml';
import { diagnose } from './diagnostics.js';

window.MonacoEnvironment = {
  getWorker(_, label) {
    const name = label === 'yaml' ? 'yaml.worker.js' : 'editor.worker.js';
    return new Worker(new URL(`./${name}`, import.meta.url), { type: 'module' });
  },
};

const SCHEMA_URI = 'inmemory://wheelhouse/kubernetes.schema.json';

export async function loadEditor(host, { theme, textOf, onChange }) {
  const schema = await fetch(new URL('./kubernetes.schema.json', import.meta.url)).then((r) => r.json());
  configureMonacoYaml(monaco, {
    enableSchemaRequest: false,
    hover: true,
    completion: true,
    validate: true,
    format: true,
    schemas: [{ uri: SCHEMA_URI, fileMatch: ['*'], schema }],
  });

  host.replaceChildren();
  const editor = monaco.editor.create(host, {
    automaticLayout: true,
    minimap: { enabled: false },
    fontSize: 13,
    tabSize: 2,
    scrollBeyondLastLine: false,
    theme: theme === 'dark' ? 'vs-dark' : 'vs',
    ariaLabel: 'Manifest editor',
  });

  const models = new Map();
  function model(path) {
    if (!models.has(path)) {
      const m = monaco.editor.createModel(textOf(path), 'yaml', monaco.Uri.parse(`file:///${path}`));
      m.onDidChangeContent(() => onChange(path, m.getValue()));
      models.set(path, m);
    }
    return models.get(path);
  }

  return {
    /** Shows a document that is not a workspace file (kubectl edit's); returns its text getter. */
    showScratch(path, text) {
      const m = monaco.editor.createModel(text, 'yaml', monaco.Uri.parse(`scratch://${path}`));
      editor.setModel(m);
      return { text: () => m.getValue(), dispose: () => m.dispose() };
    },
    show(path) {
      editor.setModel(model(path));
    },
    replace(path, text) {
      const m = model(path);
      if (m.getValue() !== text) m.setValue(text);
    },
    setDiagnostics(path, messages) {
      // The server's answer to Apply, placed where the field paths it names are in the file.
      const m = model(path);
      monaco.editor.setModelMarkers(
        m,
        'kubectl',
        diagnose(m.getValue(), messages).map((marker) => ({
          severity: monaco.MarkerSeverity.Error,
          source: 'kubectl apply',
          ...marker,
        })),
      );
    },
    setTheme(name) {
      monaco.editor.setTheme(name === 'dark' ? 'vs-dark' : 'vs');
    },
    markers() {
      return monaco.editor.getModelMarkers({}).map((m) => m.message);
    },
    serverMarkers() {
      return monaco.editor
        .getModelMarkers({ owner: 'kubectl' })
        .map((m) => ({ message: m.message, line: m.startLineNumber, column: m.startColumn }));
    },
    setFontSize(px) {
      editor.updateOptions({ fontSize: px });
    },
    focus() {
      editor.focus();
    },
  };
}
