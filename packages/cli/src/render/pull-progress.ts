import type { PullProgressEvent } from '@berth/core';
import { bar, formatBytes, type ProgressLine } from './progress';

interface LayerState {
  current: number;
  total: number | undefined;
  done: boolean;
}

/** What a pull has done so far, summed over its layers. */
export interface PullTally {
  readonly layers: number;
  readonly layersDone: number;
  readonly current: number;
  /** Undefined until every unfinished layer has said how big it is. */
  readonly total: number | undefined;
  readonly status: string;
}

const FINISHED = /^(Pull complete|Already exists)$/;
const DOWNLOADED = /^(Download complete|Verifying Checksum|Extracting)$/;

/** Keeps the per-layer progress of one pull and answers the sum. */
export function pullTally(): { add(event: PullProgressEvent): void; tally(): PullTally } {
  const layers = new Map<string, LayerState>();
  let status = 'starting';
  return {
    add(event) {
      status = event.status;
      if (event.layer === undefined) return;
      const layer = layers.get(event.layer) ?? { current: 0, total: undefined, done: false };
      if (FINISHED.test(event.status)) layer.done = true;
      if (FINISHED.test(event.status) || DOWNLOADED.test(event.status)) {
        if (layer.total !== undefined) layer.current = layer.total;
      } else if (event.status === 'Downloading') {
        layer.current = event.current ?? layer.current;
        layer.total = event.total ?? layer.total;
      }
      layers.set(event.layer, layer);
    },
    tally() {
      const all = [...layers.values()];
      const sized = all.every((l) => l.done || l.total !== undefined);
      return {
        layers: all.length,
        layersDone: all.filter((l) => l.done).length,
        current: all.reduce((sum, l) => sum + l.current, 0),
        total:
          sized && all.length > 0 ? all.reduce((sum, l) => sum + (l.total ?? 0), 0) : undefined,
        status,
      };
    },
  };
}

/** One line for a pull: `pull nginx:1.27 [#####-----] 12.1 MB/30.2 MB, 2/5 layers`. */
export function describePull(image: string, tally: PullTally): string {
  const layers = `${tally.layersDone}/${tally.layers} layers`;
  if (tally.total !== undefined && tally.total > 0) {
    return `pull ${image} ${bar(tally.current / tally.total)} ${formatBytes(tally.current)}/${formatBytes(tally.total)}, ${layers}`;
  }
  return `pull ${image}: ${tally.status}${tally.layers > 0 ? `, ${layers}` : ''}`;
}

/** A `PullProgressEvent` callback that draws the pull on `line`. */
export function showPull(line: ProgressLine, image: string): (event: PullProgressEvent) => void {
  const tally = pullTally();
  return (event) => {
    tally.add(event);
    line.update(describePull(image, tally.tally()), event.status.startsWith('Status:'));
  };
}
