import { posix } from 'node:path';
import { readOptionalText } from './files.js';

/**
 * Names of block devices by number ("/dev/vda" for 253:0), as cadvisor labels
 * IO figures; "MAJ:MIN" when sysfs has no name. Looked up once per device:
 * numbers of devices present keep their names.
 */
export class BlockDeviceNames {
  private readonly names = new Map<string, Promise<string>>();

  constructor(private readonly sysRoot = '/sys') {}

  name(major: number, minor: number): Promise<string> {
    const id = `${major}:${minor}`;
    let name = this.names.get(id);
    if (!name) {
      name = readOptionalText(posix.join(this.sysRoot, 'dev', 'block', id, 'uevent')).then(
        (uevent) => devName(uevent) ?? id,
        () => id,
      );
      this.names.set(id, name);
    }
    return name;
  }
}

/** uevent's DEVNAME=vda line as /dev/vda. */
export function devName(uevent: string | undefined): string | undefined {
  const line = uevent?.split('\n').find((l) => l.startsWith('DEVNAME='));
  const name = line?.slice('DEVNAME='.length).trim();
  return name ? `/dev/${name}` : undefined;
}
