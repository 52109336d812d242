// The editor's placement of the server's errors (web/src/diagnostics.js), on messages as
// kubectl 1.33 prints them for a 422 Invalid and for strict field validation's 400.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose, fieldPaths, splitPath } from '../src/diagnostics.js';

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replica: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        imagePullPolicy: Always
`;

const lines = (markers) => markers.map((m) => m.startLineNumber);

test('field paths come out of Invalid causes and strict decoding errors', () => {
  assert.deepEqual(
    fieldPaths('The Pod "web" is invalid: spec.containers[0].image: Required value'),
    ['spec.containers[0].image'],
  );
  assert.deepEqual(
    fieldPaths('Deployment.apps "web" is invalid: [spec.template.spec.containers[0].image: Required value, spec.selector: Invalid value: v1.LabelSelector{}: empty selector is invalid for deployment]'),
    ['spec.template.spec.containers[0].image', 'spec.selector'],
  );
  assert.deepEqual(
    fieldPaths('Error from server (BadRequest): error when creating "web.yaml": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica", unknown field "spec.template.spec.containers[0].imagee"'),
    ['spec.replica', 'spec.template.spec.containers[0].imagee'],
  );
  assert.deepEqual(fieldPaths('metadata.labels[app.kubernetes.io/name]: Invalid value: "-x": a valid label'), ['metadata.labels[app.kubernetes.io/name]']);
  assert.deepEqual(fieldPaths('error: the path "nope.yaml" does not exist'), []);
});

test('paths split into keys and indexes', () => {
  assert.deepEqual(splitPath('spec.containers[0].image'), ['spec', 'containers', 0, 'image']);
  assert.deepEqual(splitPath('metadata.labels[app.kubernetes.io/name]'), ['metadata', 'labels', 'app.kubernetes.io/name']);
});

test('an unknown field marks its own key', () => {
  const [m] = diagnose(DEPLOYMENT, [
    'Error from server (BadRequest): error when creating "web.yaml": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica"',
  ]);
  assert.equal(m.startLineNumber, 6);
  assert.equal(DEPLOYMENT.split('\n')[5].slice(m.startColumn - 1, m.endColumn - 1), 'replica');
});

test('a missing required field marks the nearest part of its path that is there', () => {
  const markers = diagnose(DEPLOYMENT, [
    'The Deployment "web" is invalid: spec.template.spec.containers[0].image: Required value',
  ]);
  // The list item `- name: nginx` holds the container without an image.
  assert.deepEqual(lines(markers), [16]);
});

test('every cause of an aggregate gets its own marker, in the document the error names', () => {
  const two = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
---
${DEPLOYMENT}`;
  const markers = diagnose(two, [
    'Error from server (Invalid): error when creating "web.yaml": Deployment.apps "web" is invalid: [spec.template.spec.containers[0].image: Required value, metadata.name: Invalid value: "web": x]',
  ]);
  assert.deepEqual(lines(markers), [21, 9], "the Deployment's metadata.name, not the ConfigMap's (line 4)");
});

test('messages without a field path mark the first line; blank ones nothing', () => {
  const markers = diagnose(DEPLOYMENT, ['error: unable to recognize "web.yaml": no matches for kind "Deployment" in version "apps/v2"', '']);
  assert.equal(markers.length, 1);
  assert.deepEqual([markers[0].startLineNumber, markers[0].endLineNumber, markers[0].endColumn], [1, 1, 'apiVersion: apps/v1'.length + 1]);
});

test('a file that is not YAML still gets its messages', () => {
  const markers = diagnose('a: [unclosed', ['error: error parsing web.yaml: yaml: line 1: did not find expected node content']);
  assert.equal(markers.length, 1);
});
