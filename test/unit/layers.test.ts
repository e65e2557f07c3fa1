import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../../src/package-paths.js';

/**
 * The layers of src/, highest first: a unit (a folder, or a file directly
 * under src/) imports only units below it. README's Development section
 * shows the same order.
 */
const LAYERS: readonly string[] = [
  'cli',
  'daemon',
  'server', // the CRI edge: decode, validate the shape, call one domain function, map errors
  'stats', // pod and container figures, over both lifecycles' read APIs
  'container', // the container lifecycle
  'sandbox', // the pod lifecycle
  'nri', // NRI plugins: the protocol, and what each pod and container step tells them
  'records', // how pods and containers are written into containerd: labels, runtime handlers, stored specs
  'oci', // the OCI spec from small options
  'streaming', // the exec/attach/port-forward protocols, calling interfaces the lifecycles implement
  'doctor', // `cri-ts doctor`: checks of the node through config, containerd, cni, image and host only
  'image',
  'cni',
  'containerd',
  'config',
  'host',
  'store',
  'undo-stack',
  'proto',
  'package-paths',
  'metrics', // the metric families every layer records into (prom-client only), served by the daemon
  'log',
  'errors',
  'clock',
  'generated',
];

/** Imports the order alone would allow but the design rules out. */
const FORBIDDEN: ReadonlyArray<{ from: string; to: string; why: string }> = [
  { from: 'server', to: 'containerd', why: 'the CRI edge calls domain functions; only they call containerd' },
];

/** Where one unit may import only some files of a lower one: its public API. */
const PUBLIC_API: ReadonlyArray<{ from: string; to: string; files: readonly string[] }> = [
  { from: 'container', to: 'sandbox', files: ['src/sandbox/sandbox.ts'] },
];

export interface Import {
  /** Importing file, relative to the package root (src/...). */
  file: string;
  /** Imported file, relative to the package root. */
  target: string;
}

/** The unit a file belongs to: its top folder under src/, or its own name for a file directly under src/. */
export function unitOf(file: string): string {
  const parts = file.split('/');
  return parts.length === 2 ? parts[1]!.replace(/\.ts$/, '') : parts[1]!;
}

/** Every relative import of every .ts file under src/ (generated code aside), read from the source. */
export function readImports(root: string): Import[] {
  const imports: Import[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'generated') walk(path);
      } else if (entry.name.endsWith('.ts')) {
        const file = relative(root, path).split(sep).join('/');
        for (const match of readFileSync(path, 'utf8').matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
          const target = relative(root, resolve(dirname(path), match[1]!)).split(sep).join('/').replace(/\.js$/, '.ts');
          imports.push({ file, target });
        }
      }
    }
  };
  walk(join(root, 'src'));
  return imports;
}

/** What breaks the layering, one line per offending import, plus any cycle between units. */
export function layerViolations(imports: readonly Import[]): string[] {
  const rank = new Map(LAYERS.map((unit, i) => [unit, i]));
  const problems: string[] = [];
  const edges = new Map<string, Set<string>>();
  for (const { file, target } of imports) {
    const from = unitOf(file);
    const to = unitOf(target);
    if (from === to) continue;
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from)!.add(to);
    const fromRank = rank.get(from);
    const toRank = rank.get(to);
    if (fromRank === undefined || toRank === undefined) {
      problems.push(`${file} -> ${target}: ${fromRank === undefined ? from : to} is not placed in LAYERS; add it where it belongs`);
      continue;
    }
    if (toRank <= fromRank) problems.push(`${file} -> ${target}: ${from} may not import ${to} (${to} is not below it)`);
    const forbidden = FORBIDDEN.find((f) => f.from === from && f.to === to);
    if (forbidden) problems.push(`${file} -> ${target}: ${from} may not import ${to}: ${forbidden.why}`);
    const api = PUBLIC_API.find((p) => p.from === from && p.to === to);
    if (api && !api.files.includes(target)) problems.push(`${file} -> ${target}: ${from} may use only ${api.files.join(', ')} of ${to}`);
  }
  for (const cycle of unitCycles(edges)) problems.push(`import cycle between units: ${cycle.join(' -> ')}`);
  return problems;
}

/** Cycles in the unit graph, each as the path that closes it. */
export function unitCycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (unit: string): void => {
    state.set(unit, 'open');
    path.push(unit);
    for (const next of edges.get(unit) ?? []) {
      if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(unit, 'done');
  };
  for (const unit of [...edges.keys()].sort()) if (!state.has(unit)) visit(unit);
  return cycles;
}

describe('layers of src/', () => {
  it('every import points down the layers, and no units import each other in a cycle', () => {
    const imports = readImports(packageRoot);
    assert.ok(imports.length > 300, `expected the whole tree, read ${imports.length} imports`);
    assert.deepEqual(layerViolations(imports), []);
  });

  it('reports a lifecycle importing the one above it', () => {
    assert.deepEqual(layerViolations([{ file: 'src/sandbox/stop-sandbox.ts', target: 'src/container/container.ts' }]), [
      'src/sandbox/stop-sandbox.ts -> src/container/container.ts: sandbox may not import container (container is not below it)',
    ]);
  });

  it('reports the containerd client importing the image layer', () => {
    assert.equal(layerViolations([{ file: 'src/containerd/container-records.ts', target: 'src/image/pull/gc-labels.ts' }]).length, 1);
  });

  it('reports the CRI edge calling containerd itself', () => {
    assert.deepEqual(layerViolations([{ file: 'src/server/context.ts', target: 'src/containerd/client.ts' }]), [
      'src/server/context.ts -> src/containerd/client.ts: server may not import containerd: the CRI edge calls domain functions; only they call containerd',
    ]);
  });

  it('reports the container lifecycle reaching past the pod side\'s public API', () => {
    assert.equal(layerViolations([{ file: 'src/container/create-container.ts', target: 'src/sandbox/run-sandbox.ts' }]).length, 1);
    assert.deepEqual(layerViolations([{ file: 'src/container/create-container.ts', target: 'src/sandbox/sandbox.ts' }]), []);
  });

  it('reports a unit that is in no layer', () => {
    assert.match(layerViolations([{ file: 'src/tracing/spans.ts', target: 'src/log.ts' }])[0]!, /tracing is not placed in LAYERS/);
  });

  it('finds a cycle between units', () => {
    const edges = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    assert.deepEqual(unitCycles(edges), [['a', 'b', 'c', 'a']]);
  });
});
