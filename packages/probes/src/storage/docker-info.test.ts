import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assessStorage, STORAGE_FINDING_IDS } from './assess-storage';
import { storageFactsFromDockerInfo } from './docker-info';
import type { StorageFacts } from './storage-facts';

// Real `docker info` outputs from public bug reports and Docker's documentation, each with the
// advice an expert would give written next to it (`<name>.expected.json`: findings,
// recommendation, the reason in words, the source, and what is debatable).
const dir = join(import.meta.dirname, '../../test/fixtures/docker-info');

interface Expectation {
  readonly source: string;
  readonly reason: string;
  readonly debatable?: string;
  readonly findings: readonly string[];
  readonly recommendation: {
    readonly action: string;
    readonly driver: string;
    readonly confidence: string;
  };
}

const corpus = readdirSync(dir)
  .filter((file) => !file.endsWith('.expected.json'))
  .sort()
  .map((file) => ({
    file,
    text: readFileSync(join(dir, file), 'utf8'),
    expected: JSON.parse(
      readFileSync(join(dir, `${file.replace(/\.(txt|json)$/, '')}.expected.json`), 'utf8'),
    ) as Expectation,
  }));

const factsOf = (text: string): StorageFacts => storageFactsFromDockerInfo(text)._unsafeUnwrap();

describe('the docker info corpus', () => {
  it('holds at least fifteen real outputs, each with a source and a reason', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(15);
    for (const { expected } of corpus) {
      expect(expected.source).toMatch(/^(https:\/\/|recorded)/);
      expect(expected.reason.length).toBeGreaterThan(40);
    }
    const drivers = new Set(corpus.map(({ text }) => factsOf(text).driver));
    for (const driver of [
      'aufs',
      'devicemapper',
      'overlay',
      'overlay2',
      'btrfs',
      'zfs',
      'vfs',
      'fuse-overlayfs',
      'overlayfs',
    ])
      expect(drivers).toContain(driver);
  });

  it.each(corpus.map((c) => [c.file, c] as const))(
    '%s: as written down',
    (_file, { text, expected }) => {
      const assessment = assessStorage(factsOf(text));
      expect(assessment.findings.map((f) => `${f.severity} ${f.id}`).sort()).toEqual(
        [...expected.findings].sort(),
      );
      expect({
        action: assessment.recommendation.action,
        driver: assessment.recommendation.driver,
        confidence: assessment.recommendation.confidence,
      }).toEqual(expected.recommendation);
    },
  );

  it.each(corpus.map((c) => [c.file, c] as const))(
    '%s: never advises a driver the facts rule out or cannot show',
    (_file, { text }) => {
      const facts = factsOf(text);
      const { drivers, findings, recommendation } = assessStorage(facts);
      const target = drivers.find((d) => d.driver === recommendation.driver);
      // The one switch to a driver ruled out today: overlay2 once the filesystem gets d_type.
      const afterReformat = target?.backing === 'unsupported' && /d_type/.test(target.reason);
      if (recommendation.action === 'switch' && afterReformat)
        expect([target.kernel, target.engine]).toEqual([
          expect.stringMatching(/supported|likely/),
          'supported',
        ]);
      else if (recommendation.action === 'switch')
        expect(['proven', 'likely']).toContain(target?.possible);
      else if (target) expect(target.inUse).toBe(true);
      else expect(recommendation).toMatchObject({ action: 'keep', driver: facts.driver });
      expect(recommendation.because.length).toBeGreaterThanOrEqual(3);
      if (recommendation.action !== 'keep') expect(recommendation.steps.length).toBeGreaterThan(0);
      for (const finding of findings) {
        expect(STORAGE_FINDING_IDS).toContain(finding.id);
        if (finding.severity !== 'info') expect(finding.fix).toBeTruthy();
        expect(finding.fix ?? '').not.toMatch(/helperImage/);
      }
    },
  );

  it.each(corpus.filter((c) => c.file.endsWith('.txt')).map((c) => [c.file, c] as const))(
    '%s: reads the same with CRLF line ends and with every indentation lost',
    (_file, { text }) => {
      const facts = factsOf(text);
      expect(factsOf(text.replace(/\n/g, '\r\n'))).toEqual(facts);
      const flattened = text
        .split('\n')
        .map((line) => line.trimStart())
        .join('\n');
      expect(factsOf(flattened)).toEqual(facts);
    },
  );
});

describe('storageFactsFromDockerInfo', () => {
  it('reads the JSON form and the text form of one engine alike', () => {
    const text = factsOf(
      corpus.find((c) => c.file === 'berth-test-host-overlay2-debian-12.txt')!.text,
    );
    const json = factsOf(corpus.find((c) => c.file === 'berth-test-host-json-format.json')!.text);
    expect(json).toEqual(text);
    expect(text).toMatchObject({ driver: 'overlay2', source: 'docker info' });
  });

  it('reads bare DriverStatus pairs, and says what it inferred from them', () => {
    const facts = factsOf(
      '[["Pool Name","docker-pool"],["Data Space Available","0 B"],["Data Space Used","10 GB"]]',
    );
    expect(facts).toMatchObject({ driver: 'devicemapper', engineVersion: '', kernelVersion: '' });
    expect(facts.inferred?.[0]).toMatch(/devicemapper/);
    expect(assessStorage(facts).findings.map((f) => f.id)).toContain('storage.thinpool-data-full');
  });

  it('dates an engine without Server Version by what only old engines print', () => {
    const facts = factsOf(
      'Storage Driver: vfs\nExecution Driver: native-0.2\nKernel Version: 4.4.0-21-generic\n',
    );
    expect(facts.engineBefore).toBe('1.11');
    const { drivers, recommendation } = assessStorage(facts);
    expect(drivers.find((d) => d.driver === 'overlay2')).toMatchObject({
      engine: 'too-old',
      possible: 'ruled-out',
    });
    expect(drivers.find((d) => d.driver === 'fuse-overlayfs')?.possible).toBe('ruled-out');
    expect(recommendation.driver).not.toBe('overlay2');
  });

  it('never advises fuse-overlayfs or overlay2 when the engine version is unknown', () => {
    const facts = factsOf(
      'Storage Driver: vfs\nKernel Version: 5.15.0-91-generic\nSecurity Options:\n rootless\n',
    );
    expect(facts).toMatchObject({ engineVersion: '', rootless: true });
    const { drivers, recommendation } = assessStorage(facts);
    expect(drivers.find((d) => d.driver === 'fuse-overlayfs')?.possible).toBe('unknown');
    expect(drivers.find((d) => d.driver === 'overlay2')?.possible).toBe('unknown');
    expect(recommendation).toMatchObject({ action: 'upgrade', driver: 'vfs' });
  });

  it('moves loop-lvm to overlay2 where kernel and Docker allow it, checking xfs for d_type first', () => {
    const facts = factsOf(
      [
        'Server Version: 1.12.1',
        'Storage Driver: devicemapper',
        ' Backing Filesystem: xfs',
        ' Data file: /dev/loop0',
        ' Data loop file: /var/lib/docker/devicemapper/devicemapper/data',
        'Kernel Version: 4.4.0-38-generic',
      ].join('\n'),
    );
    const { recommendation, findings } = assessStorage(facts);
    expect(recommendation).toMatchObject({
      action: 'switch',
      driver: 'overlay2',
      confidence: 'medium',
    });
    expect(recommendation.steps[0]).toMatch(/ftype=1/);
    expect(findings.find((f) => f.id === 'storage.devicemapper-loop')?.fix).toMatch(
      /^move to overlay2/,
    );
  });

  it('refuses text that says nothing about storage, and JSON that does not parse', () => {
    expect(storageFactsFromDockerInfo('hello\nworld')._unsafeUnwrapErr()).toMatchObject({
      kind: 'InvalidInput',
      field: 'docker-info',
      message: expect.stringMatching(/docker info/),
    });
    expect(storageFactsFromDockerInfo('{"Driver": "overlay2",')._unsafeUnwrapErr()).toMatchObject({
      kind: 'InvalidInput',
      message: expect.stringMatching(/JSON does not parse/),
    });
  });

  it('never throws on any text', () => {
    fc.assert(fc.property(fc.string(), (text) => void storageFactsFromDockerInfo(text)));
  });
});

describe('what a missing kernel table means, by who gathered the facts', () => {
  const facts = factsOf(
    'Server Version: 24.0.7\nStorage Driver: overlay2\nKernel Version: 6.1.0-18-amd64\n',
  );
  const kernelUnknown = (f: StorageFacts) =>
    assessStorage(f).findings.find((finding) => finding.id === 'storage.kernel-unknown');

  it('tells a paste user what the paste cannot show, not to set a probe option', () => {
    expect(kernelUnknown(facts)?.fix).toMatch(/berth probe storage/);
  });

  it('tells an assessStorage caller which facts to add', () => {
    const byHand: StorageFacts = { ...facts };
    delete (byHand as { source?: unknown }).source;
    expect(kernelUnknown(byHand)?.fix).toMatch(/kernelFilesystems/);
    expect(kernelUnknown(byHand)?.fix).not.toMatch(/helperImage/);
  });

  it('gives the helperImage hint only to probeStorage', () => {
    expect(
      kernelUnknown({ ...facts, source: 'probeStorage', kernelTablesError: 'no image' })?.fix,
    ).toMatch(/helperImage/);
  });
});
