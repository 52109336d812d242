// The pane sizes' rules (web/src/layout.js): limits, what the keys do, what is restored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SPLITS, clampSize, keySize, loadSizes } from '../src/layout.js';

function storage(value) {
  return { getItem: () => value };
}

test('sizes stay within their limits and leave the centre column 30 %', () => {
  const sizes = { lesson: 26, cluster: 28, editor: 60 };
  assert.equal(clampSize('lesson', 5, sizes), SPLITS.lesson.min);
  assert.equal(clampSize('lesson', 40, sizes), 40);
  assert.equal(clampSize('lesson', 60, sizes), 42, '100 - 30 - 28');
  assert.equal(clampSize('cluster', 44, { ...sizes, lesson: 15 }), 44);
  assert.equal(clampSize('cluster', 44, { ...sizes, lesson: 40 }), 30);
  assert.equal(clampSize('editor', 95, sizes), SPLITS.editor.max);
  assert.equal(clampSize('editor', 33.333, sizes), 33.3);
});

test('each splitter grows its pane toward the arrow, by 2 % or 10 % with Shift', () => {
  assert.equal(keySize('lesson', 'ArrowRight', false, 26), 28);
  assert.equal(keySize('lesson', 'ArrowLeft', true, 26), 16);
  assert.equal(keySize('cluster', 'ArrowLeft', false, 28), 30);
  assert.equal(keySize('cluster', 'ArrowRight', false, 28), 26);
  assert.equal(keySize('editor', 'ArrowDown', false, 60), 62);
  assert.equal(keySize('editor', 'ArrowUp', false, 60), 58);
  assert.equal(keySize('editor', 'Home', false, 60), SPLITS.editor.min);
  assert.equal(keySize('editor', 'End', false, 60), SPLITS.editor.max);
  assert.equal(keySize('lesson', 'ArrowUp', false, 26), null, 'not its direction');
  assert.equal(keySize('lesson', 'a', false, 26), null);
});

test('saved sizes come back; missing, broken or impossible ones fall back', () => {
  assert.deepEqual(loadSizes(storage('{"lesson":35,"cluster":20,"editor":40}')), { lesson: 35, cluster: 20, editor: 40 });
  assert.deepEqual(loadSizes(storage(null)), { lesson: 26, cluster: 28, editor: 60 });
  assert.deepEqual(loadSizes(storage('not json')), { lesson: 26, cluster: 28, editor: 60 });
  assert.deepEqual(loadSizes(storage('{"lesson":"wide"}')), { lesson: 26, cluster: 28, editor: 60 });
  assert.deepEqual(loadSizes(storage('{"lesson":45,"cluster":45}')), { lesson: 25, cluster: 45, editor: 60 }, 'the centre keeps 30 %');
  assert.deepEqual(loadSizes(undefined), { lesson: 26, cluster: 28, editor: 60 });
});
