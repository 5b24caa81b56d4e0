import { describe, expect, it } from 'vitest';
import { parseCommit, parseTag, parseTree } from './objects';

const OID = 'ab'.repeat(20);

function entry(mode: string, name: string | Buffer, oid = OID): Buffer {
  return Buffer.concat([
    Buffer.from(`${mode} `),
    Buffer.isBuffer(name) ? name : Buffer.from(name, 'utf8'),
    Buffer.from([0]),
    Buffer.from(oid, 'hex'),
  ]);
}

describe('parseTree', () => {
  it('keeps names as stored and reports directories as 040000', () => {
    const tree = Buffer.concat([
      entry('40000', '..'),
      entry('100644', '.git'),
      entry('120000', 'a b'),
    ]);
    expect(parseTree(tree)).toEqual([
      { name: '..', mode: '040000', type: 'tree', oid: OID },
      { name: '.git', mode: '100644', type: 'blob', oid: OID },
      { name: 'a b', mode: '120000', type: 'blob', oid: OID },
    ]);
  });

  it('canonicalises file modes the way git does', () => {
    const tree = Buffer.concat([
      entry('100664', 'old'),
      entry('100775', 'exec'),
      entry('160000', 'sub'),
    ]);
    expect(parseTree(tree)).toEqual([
      { name: 'old', mode: '100644', type: 'blob', oid: OID },
      { name: 'exec', mode: '100755', type: 'blob', oid: OID },
      { name: 'sub', mode: '160000', type: 'commit', oid: OID },
    ]);
  });

  it('describes a malformed tree instead of throwing', () => {
    expect(parseTree(Buffer.from('100644 name'))).toMatch(/truncated/);
    expect(parseTree(entry('170000', 'x'))).toMatch(/unknown mode/);
    expect(parseTree(entry('100644', 'x').subarray(0, 20))).toMatch(/truncated/);
    expect(parseTree(Buffer.alloc(0))).toEqual([]);
  });
});

describe('parseCommit and parseTag', () => {
  it('reads the tree and parents, ignoring a signature block', () => {
    const commit = Buffer.from(
      `tree ${OID}\nparent ${'cd'.repeat(20)}\nparent ${'ef'.repeat(20)}\nauthor a <a@b> 1 +0000\n` +
        `gpgsig -----BEGIN PGP SIGNATURE-----\n tree ${'00'.repeat(20)}\n -----END PGP SIGNATURE-----\n\nmessage\ntree x\n`,
    );
    expect(parseCommit(commit)).toEqual({ tree: OID, parents: ['cd'.repeat(20), 'ef'.repeat(20)] });
    expect(parseCommit(Buffer.from('author x\n\nno tree'))).toMatch(/no valid tree/);
  });

  it('reads what an annotated tag points at', () => {
    expect(parseTag(Buffer.from(`object ${OID}\ntype commit\ntag v1\n\nrelease\n`))).toEqual({
      object: OID,
    });
    expect(parseTag(Buffer.from('type commit\n'))).toMatch(/no valid object/);
  });
});
