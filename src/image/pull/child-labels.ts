import { GcLabel } from '../../containerd/gc-labels.js';
import type { Descriptor, ImageIndex, ImageManifest } from '../manifest.js';

export function indexChildLabels(fetched: Descriptor[]): Record<string, string> {
  return Object.fromEntries(fetched.map((d, i) => [GcLabel.contentRef(`m.${i}`), d.digest]));
}

export function manifestChildLabels(manifest: ImageManifest): Record<string, string> {
  return {
    [GcLabel.contentRef('config')]: manifest.config.digest,
    ...Object.fromEntries(manifest.layers.map((l, i) => [GcLabel.contentRef(`l.${i}`), l.digest])),
  };
}

export function childLabels(document: ImageManifest | ImageIndex, fetchedChildren: Descriptor[]): Record<string, string> {
  return document.kind === 'index' ? indexChildLabels(fetchedChildren) : manifestChildLabels(document);
}
