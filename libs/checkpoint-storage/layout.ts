// Where things live in the checkpoint bucket (docs/architecture.md, "Checkpoints"), below an optional prefix:
//   checkpoints/epoch-<N>/<service>/<partition>     one partition snapshot
//   checkpoints/epoch-<N>/_manifest.json            written last: the epoch exists iff present
//   savepoints/<name>/<service>/<partition>         same, for a savepoint (never expired)
//   savepoints/<name>/_manifest.json
//   pins/epoch-<N>                                   retention keeps epoch N while this lasts

export type EpochLocation =
  { kind: 'checkpoint'; epoch: number } | { kind: 'savepoint'; name: string };

export const MANIFEST_FILE = '_manifest.json';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Savepoint and service names end up in object keys and NATS payloads: keep them plain. */
export function checkName(what: string, name: string): string {
  if (!NAME.test(name)) {
    throw new TypeError(
      `${what} "${name}" is not allowed: use 1–128 letters, digits, ".", "_" or "-", ` +
        'starting with a letter or digit',
    );
  }
  return name;
}

export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

/** The folder of an epoch, relative to the prefix, ending in "/". */
export function epochDir(loc: EpochLocation): string {
  if (loc.kind === 'checkpoint') {
    if (!Number.isSafeInteger(loc.epoch) || loc.epoch < 0) {
      throw new TypeError(`epoch must be a non-negative integer, got ${loc.epoch}`);
    }
    return `checkpoints/epoch-${loc.epoch}/`;
  }
  return `savepoints/${checkName('savepoint name', loc.name)}/`;
}

export function partPath(loc: EpochLocation, service: string, partition: number): string {
  if (!Number.isSafeInteger(partition) || partition < 0) {
    throw new TypeError(`partition must be a non-negative integer, got ${partition}`);
  }
  return `${epochDir(loc)}${checkName('service name', service)}/${partition}`;
}

/** Key of the pin that keeps checkpoint `epoch` from retention (a restore in progress). */
export function pinPath(epoch: number): string {
  epochDir({ kind: 'checkpoint', epoch }); // validates the number
  return `pins/epoch-${epoch}`;
}

/** The epoch a pin key (relative to the prefix) names, or undefined. */
export function parsePinKey(relative: string): number | undefined {
  const m = /^pins\/epoch-(\d+)$/.exec(relative);
  return m ? Number(m[1]) : undefined;
}

/** Parses a key relative to the prefix back into its epoch folder, or undefined. */
export function parseEpochKey(relative: string): { loc: EpochLocation; rest: string } | undefined {
  const cp = /^checkpoints\/epoch-(\d+)\/(.*)$/.exec(relative);
  if (cp) return { loc: { kind: 'checkpoint', epoch: Number(cp[1]) }, rest: cp[2] ?? '' };
  const sp = /^savepoints\/([^/]+)\/(.*)$/.exec(relative);
  if (sp) return { loc: { kind: 'savepoint', name: sp[1] ?? '' }, rest: sp[2] ?? '' };
  return undefined;
}

export function describeLocation(loc: EpochLocation): string {
  return loc.kind === 'checkpoint' ? `epoch ${loc.epoch}` : `savepoint "${loc.name}"`;
}

export function sameLocation(a: EpochLocation, b: EpochLocation): boolean {
  return a.kind === 'checkpoint'
    ? b.kind === 'checkpoint' && a.epoch === b.epoch
    : b.kind === 'savepoint' && a.name === b.name;
}
