import type { PublishProgress } from '@berth/core';
import { bar, formatBytes, type ProgressLine } from './progress';

const STEPS = 4;

/** One line for a publish step: `publish [############------------] staging 12 files`. */
export function describePublish(event: PublishProgress): string {
  switch (event.phase) {
    case 'resolved':
      return `publish ${bar(1 / STEPS)} ${event.commit.slice(0, 12)}: reading the tree`;
    case 'planned':
      return `publish ${bar(2 / STEPS)} staging ${event.files} file${event.files === 1 ? '' : 's'}${event.deleted ? `, ${event.deleted} deleted` : ''}${event.incremental ? ' (incremental)' : ''}`;
    case 'repairing':
      return `publish ${bar(2 / STEPS)} ${event.commit.slice(0, 12)}: the release is damaged (${event.problems[0] ?? 'unknown'}), rebuilding`;
    case 'staged':
      return `publish ${bar(3 / STEPS)} sent ${formatBytes(event.bytesSent)}, activating`;
    case 'activated':
      return `publish ${bar(1)} ${event.commit.slice(0, 12)} active`;
    default: {
      const never: never = event;
      return String(never);
    }
  }
}

export function showPublish(line: ProgressLine): (event: PublishProgress) => void {
  return (event) => line.update(describePublish(event), true);
}
