import { readFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { errorMessage } from '../errors.js';
import { selfSignedCertificate, type TlsMaterial } from './self-signed-cert.js';

export interface StreamingTlsOptions {
  enabled: boolean;
  /** PEM files; both or neither (then a self-signed certificate is made at start). */
  certFile: string;
  keyFile: string;
  /** The address the streaming server listens on; named in a self-signed certificate unless it is a wildcard. */
  listenAddress: string;
}

/** The names a self-signed certificate carries: as containerd's, the node's host name and every address it has. */
function nodeNames(listenAddress: string): string[] {
  const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address.replace(/%.*$/, '')));
  const wildcard = listenAddress === '' || listenAddress === '0.0.0.0' || listenAddress === '::';
  return [...(wildcard ? [] : [listenAddress]), 'localhost', hostname(), '127.0.0.1', '::1', ...addresses];
}

/** What the streaming server serves TLS with, or undefined for plain HTTP. */
export async function streamingTlsMaterial(options: StreamingTlsOptions): Promise<{ material: TlsMaterial; selfSigned: boolean } | undefined> {
  if (!options.enabled) return undefined;
  if (options.certFile === '' && options.keyFile === '') return { material: selfSignedCertificate(nodeNames(options.listenAddress)), selfSigned: true };
  const read = (path: string, what: string): Promise<Buffer> =>
    readFile(path).catch((err: unknown) => {
      throw new Error(`cannot read the streaming TLS ${what} ${path}: ${errorMessage(err)}`);
    });
  return { material: { cert: await read(options.certFile, 'certificate'), key: await read(options.keyFile, 'key') }, selfSigned: false };
}
