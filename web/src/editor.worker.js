// Monaco's base editor worker.
import 'monaco-editor/esm/vs/editor/editor.worker.js';
