// Places the server's answer to Apply in the manifest: kubectl prints the API server's errors as
// text, and the field paths in them (`spec.containers[0].image: Required value`, strict field
// validation's `unknown field "spec.replica"`) say where in the YAML the problem is. Pure
// functions of the text, so node's test runner checks them without a browser
// (web/test/diagnostics.test.mjs).
import { parseAllDocuments, isMap, isSeq, isScalar } from 'yaml';

// The causes of a 422 Invalid (field.ErrorType strings of k8s.io/apimachinery's field errors).
const CAUSE_TYPES = [
  'Required value', 'Invalid value', 'Unsupported value', 'Forbidden', 'Duplicate value',
  'Not found', 'Too long', 'Too many', 'Internal error', 'Not supported',
];
// A field path as the API server prints one: `spec.template.spec.containers[0].image`,
// `metadata.labels[app.kubernetes.io/name]`.
const PATH = String.raw`[a-zA-Z][\w-]*(?:\.[a-zA-Z_$][\w$-]*|\[[^\]\s]*\])*`;
const CAUSE = new RegExp(`(?:^|[\\s\\[,:])(${PATH}): (?:${CAUSE_TYPES.join('|')})`, 'g');
const UNKNOWN = new RegExp(`unknown field "(${PATH})"`, 'g');
const DUPLICATE = new RegExp(`duplicate field "(${PATH})"`, 'g');
// `The Pod "web" is invalid`, `Deployment.apps "web" is invalid`: which object of the file.
const OBJECT = /(?:The )?([A-Z]\w*)(?:\.[\w.]+)? "([^"]+)" is invalid/;

/** The field paths a kubectl error message names, in order, without repeats. */
export function fieldPaths(message) {
  const paths = [];
  for (const re of [CAUSE, UNKNOWN, DUPLICATE]) {
    for (const m of message.matchAll(re)) if (!paths.includes(m[1])) paths.push(m[1]);
  }
  return paths;
}

/** `spec.containers[0].image` → ['spec', 'containers', 0, 'image']. */
export function splitPath(path) {
  const parts = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g)) {
    if (m[1] !== undefined) parts.push(m[1]);
    else parts.push(/^\d+$/.test(m[2]) ? Number(m[2]) : m[2]);
  }
  return parts;
}

/**
 * Where a field path is in one YAML document: the range of its key (or list item), or of the
 * deepest part of the path that exists (a `Required value` names a field that is not there, so
 * its parent is marked). `null` if not even the first part exists.
 */
function locate(doc, parts) {
  let node = doc.contents;
  let found = null;
  for (const part of parts) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === part);
      if (!pair) break;
      found = pair.key?.range ?? pair.value?.range ?? found;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part];
      if (!item) break;
      found = firstLine(item);
      node = item;
    } else {
      break;
    }
  }
  return found;
}

/** The range of a list item's first line (its first key), or the whole item if a scalar. */
function firstLine(item) {
  if (isMap(item) && item.items[0]?.key?.range) return item.items[0].key.range;
  return item.range;
}

/** Line and column (1-based) of an offset. */
function position(text, offset) {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i += 1) {
    if (text[i] === '\n') {
      line += 1;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/**
 * The markers for kubectl's error lines about a YAML file: `[{ message, startLineNumber,
 * startColumn, endLineNumber, endColumn }]` (Monaco's marker shape). Each field path named in a
 * message marks its place; a message naming none marks the first line, so nothing is lost.
 */
export function diagnose(text, messages) {
  let docs = [];
  try {
    docs = parseAllDocuments(text, { keepSourceTokens: false });
    if (!Array.isArray(docs)) docs = [docs];
  } catch {
    docs = [];
  }
  const markers = [];
  const firstLineEnd = (text.indexOf('\n') + 1 || text.length + 1);
  const whole = { startLineNumber: 1, startColumn: 1, endLineNumber: 1, endColumn: firstLineEnd };
  for (const message of messages) {
    if (!message.trim()) continue;
    const candidates = pickDocuments(docs, message);
    const ranges = [];
    for (const path of fieldPaths(message)) {
      const parts = splitPath(path);
      for (const doc of candidates) {
        const range = locate(doc, parts);
        if (range) {
          ranges.push(range);
          break;
        }
      }
    }
    if (ranges.length === 0) {
      markers.push({ message, ...whole });
      continue;
    }
    for (const [start, end] of ranges) {
      const from = position(text, start);
      const to = position(text, end);
      markers.push({
        message,
        startLineNumber: from.line,
        startColumn: from.column,
        endLineNumber: to.line,
        endColumn: to.column,
      });
    }
  }
  return markers;
}

/** The documents a message may be about: the one of the named kind and name first. */
function pickDocuments(docs, message) {
  const named = message.match(OBJECT);
  if (!named) return docs;
  const [, kind, name] = named;
  const about = (d) => {
    const js = d.toJS?.() ?? {};
    return js?.kind === kind && js?.metadata?.name === name;
  };
  return [...docs.filter(about), ...docs.filter((d) => !about(d))];
}
