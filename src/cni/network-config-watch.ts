import { type FSWatcher, watch } from 'node:fs';
import { type CniNetworkConfig, loadNetworkConfigs } from './network-config.js';

/**
 * The network configs of a conf dir, read once and again only after the
 * directory changed (inotify, as containerd's CRI watches it), so Status
 * does not read and parse the files on every call. Without a watch (the
 * directory does not exist yet, or watching failed) every call reads them.
 * A failure to load is kept too while nothing changes: the directory is as
 * broken as it was.
 */
export class NetworkConfigWatch {
  private watcher: FSWatcher | undefined;
  private loaded: Promise<CniNetworkConfig[]> | undefined;

  constructor(
    private readonly confDir: string,
    private readonly maxConfNum: number,
  ) {}

  current(): Promise<CniNetworkConfig[]> {
    if (this.loaded) return this.loaded;
    // Watching starts before reading, and a change event (always later than this) drops the read.
    const watching = this.startWatch();
    const read = loadNetworkConfigs(this.confDir, this.maxConfNum);
    if (watching) this.loaded = read;
    return read;
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.loaded = undefined;
  }

  private startWatch(): boolean {
    if (this.watcher) return true;
    try {
      // Any change drops the watch too: a directory removed and made again is a new inode to watch.
      this.watcher = watch(this.confDir, { persistent: false }, () => this.close());
      this.watcher.on('error', () => this.close());
      return true;
    } catch {
      return false;
    }
  }
}
