import { murmur3x86_128, writeHashHex } from './murmur3';

/** Hex digests of the reference implementation (MurmurHash3_x86_128, seed 0, as Python's mmh3 4.x hash_bytes gives them). */
const hex = (bytes: Uint8Array, start = 0, end = bytes.length) => {
  const out = new Uint8Array(32);
  writeHashHex(murmur3x86_128(bytes, start, end, new Uint32Array(4)), out, 0);
  return Buffer.from(out).toString('latin1');
};

describe('murmur3x86_128', () => {
  it('matches the reference for known strings', () => {
    const utf8 = (s: string) => new TextEncoder().encode(s);
    expect(hex(utf8(''))).toBe('00000000000000000000000000000000');
    expect(hex(utf8('a'))).toBe('3c9394a71bb056551bb056551bb05655');
    expect(hex(utf8('Hello, world!'))).toBe('a7dbac26fc8d63f063422b40c3d4fd0a');
    expect(hex(utf8('The quick brown fox jumps over the lazy dog'))).toBe('c383152f672ceeec6cf67b5d2c1de9e5');
    const all = new Uint8Array(768).map((_, i) => i % 256);
    expect(hex(all)).toBe('d7c3bf1b294aad21e645dbd0fbb54091');
  });

  it('matches the reference for every tail length, read from inside a larger buffer', () => {
    const expected: string[] = ["00000000000000000000000000000000", "3c892a1a6bb55d826bb55d826bb55d82", "6a085be2e0376694e0376694e0376694", "47d55defd3e14f81d3e14f81d3e14f81", "70ef21d08e0afabf8e0afabf8e0afabf", "f5d9bda19789b5fc03ef3e2503ef3e25", "19c60411a21f3a534ef386cf4ef386cf", "3f3efbfe4e68f70cde48c0f2de48c0f2", "d54101fc67909af83863e1403863e140", "385fdd372cc99d0fd92a38dd15e3f0c0", "089771be12ff318b228c067f68031e35", "b0ddd8b7682cff027c05eb5c3bd76428", "8b8bbe6ba2e2dd928a9e7c42c2aafe04", "29daedcb2c887c107f08ab3bc3e04514", "425dbe3b67293b264d89a8086d80d7f5", "3d1634e81c11c188a99f55031c796271", "73203aaa4518c4a88241f0ade72356b3", "c08d07c51f51e3fbb00bde9e8b53e0ae", "6b1ed112e85201ee46446fb051f56389", "4a36bd6bda96aa9c96fa98c62c6b5ee4", "d8dec8ff23e823694e338059acb58f58", "ef44e186ebec85f183d5fa14acc60605", "08181ff4798a1eb50515f7f0ecf3872c", "030fe46a235b4e2e6775bfafcbfa3f73", "b9f9b3f76631022e9abdd5fafc372413", "c6eb401506ea5eac0bcdf9cc00a2c635", "dffe034858f1a814cf92e990d5a419a6", "e7d5f37c59a157b95aee7082ff495581", "fe915c3b49b45e3c4d466ee760e523a2", "eaed69f5f3883e898ff21a276e99377b", "ecd77fdb92705142afcda53da12a1661", "16a41f66c469e564a2c5d9c4182fbcae", "37f75fce38b3dfe314b3535d3fe9afab", "1752cef28f8d7528a592588b9d3f7e88"];
    const src = new Uint8Array(40).map((_, i) => (i * 37 + 11) % 256);
    const padded = new Uint8Array(50);
    padded.set(src, 7);
    expected.forEach((digest, len) => {
      expect(hex(src, 0, len)).toBe(digest);
      expect(hex(padded, 7, 7 + len)).toBe(digest);
    });
  });
});
