#!/usr/bin/env node
// Parses the .proto files in api/ once, at build time, into protobufjs JSON
// descriptors (api/descriptors/*.json), which cri-ts loads at start instead of
// parsing .proto text. Field names are camelCase (keepCase false), as the
// generated types in src/generated expect. `--check` exits 1 when a committed
// descriptor no longer matches its .proto files.
import { accessSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const api = join(root, 'api');

function protoFiles(dir) {
  return readdirSync(dir, { recursive: true }).filter((f) => f.endsWith('.proto')).sort();
}

function parse(files, includeDir) {
  const r = new protobuf.Root();
  r.resolvePath = (_origin, target) => {
    if (isAbsolute(target)) return target;
    const path = join(includeDir, target);
    try {
      accessSync(path);
      return path;
    } catch {
      return target; // google/protobuf/*: protobufjs's own
    }
  };
  r.loadSync(files, { keepCase: false });
  r.resolveAll();
  return `${JSON.stringify(r.toJSON({ keepComments: false }))}\n`;
}

const descriptors = {
  cri: () => parse(['cri/v1/api.proto'], api),
  containerd: () => parse(protoFiles(join(api, 'containerd')), join(api, 'containerd')),
  nri: () => parse(['api.proto', 'ttrpc.proto'], join(api, 'nri')),
};

const check = process.argv.includes('--check');
let stale = false;
for (const [name, make] of Object.entries(descriptors)) {
  const path = join(api, 'descriptors', `${name}.json`);
  const text = make();
  if (!check) writeFileSync(path, text);
  else if (readFileSync(path, 'utf8') !== text) {
    console.error(`${path} does not match its .proto files; run npm run gen:types`);
    stale = true;
  }
}
process.exit(stale ? 1 : 0);
