// The YAML language service worker (validation, completion, hover) for Monaco.
import 'monaco-yaml/yaml.worker.js';
