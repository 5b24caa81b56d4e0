import { describe, expect, it } from 'vitest';
import { bar, formatBytes, progressLine } from './progress';
import { describePull, pullTally } from './pull-progress';
import { describePublish } from './publish-progress';

function recorder(enabled: boolean, columns = 80) {
  const writes: string[] = [];
  let clock = 0;
  const line = progressLine({
    write: (text) => writes.push(text),
    enabled,
    columns,
    now: () => clock,
  });
  return { line, writes, tick: (ms: number) => (clock += ms) };
}

describe('progressLine', () => {
  it('draws nothing when stderr is not a terminal', () => {
    const { line, writes } = recorder(false);
    line.update('pull busybox', true);
    line.clear();
    expect(writes).toEqual([]);
  });

  it('redraws in place, at most every 100 ms unless forced, and clears itself', () => {
    const { line, writes, tick } = recorder(true);
    line.update('one');
    line.update('two');
    tick(100);
    line.update('three');
    line.update('four', true);
    line.clear();
    line.clear();
    expect(writes).toEqual(['\r\x1b[2Kone', '\r\x1b[2Kthree', '\r\x1b[2Kfour', '\r\x1b[2K']);
  });

  it('cuts a line to the terminal width so it never wraps', () => {
    const { line, writes } = recorder(true, 20);
    line.update('x'.repeat(50), true);
    expect(writes[0]).toBe(`\r\x1b[2K${'x'.repeat(18)}…`);
  });
});

describe('bar and formatBytes', () => {
  it('fills a bar in proportion, clamped', () => {
    expect(bar(0.5, 10)).toBe('[#####-----]');
    expect(bar(2, 4)).toBe('[####]');
    expect(bar(Number.NaN, 4)).toBe('[----]');
  });

  it('prints bytes 1000-based like Docker', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_500)).toBe('1.5 kB');
    expect(formatBytes(12_345_678)).toBe('12.3 MB');
  });
});

describe('a pull on one line', () => {
  it('sums the layers it has seen, and counts those finished', () => {
    const tally = pullTally();
    tally.add({ status: 'Pulling from library/nginx' });
    tally.add({ status: 'Pulling fs layer', layer: 'aaaaaaaaaaaa' });
    tally.add({ status: 'Already exists', layer: 'bbbbbbbbbbbb' });
    expect(describePull('nginx:1', tally.tally())).toBe('pull nginx:1: Already exists, 1/2 layers');
    tally.add({ status: 'Downloading', layer: 'aaaaaaaaaaaa', current: 500, total: 2_000 });
    expect(describePull('nginx:1', tally.tally())).toBe(
      `pull nginx:1 ${bar(0.25)} 500 B/2.0 kB, 1/2 layers`,
    );
    tally.add({ status: 'Extracting', layer: 'aaaaaaaaaaaa', current: 10, total: 2_000 });
    tally.add({ status: 'Pull complete', layer: 'aaaaaaaaaaaa' });
    expect(tally.tally()).toMatchObject({ layers: 2, layersDone: 2, current: 2_000, total: 2_000 });
  });
});

describe('a publish on one line', () => {
  it('shows the step it is at', () => {
    const sha = 'a'.repeat(40);
    expect(describePublish({ phase: 'resolved', commit: sha })).toContain(
      'aaaaaaaaaaaa: reading the tree',
    );
    expect(
      describePublish({ phase: 'planned', files: 1, deleted: 2, incremental: true }),
    ).toContain('staging 1 file, 2 deleted (incremental)');
    expect(describePublish({ phase: 'staged', bytesSent: 2_000 })).toContain('sent 2.0 kB');
    expect(describePublish({ phase: 'activated', commit: sha })).toBe(
      `publish ${bar(1)} aaaaaaaaaaaa active`,
    );
  });
});
