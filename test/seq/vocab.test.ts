import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UNK, Vocab, globalToken } from '../../lib/seq/vocab';

test('ids: 0 is the unknown token, then by descending count, ties in token order', () => {
  // read x3, write x2, close x2, futex x1: close and write tie, so close (alphabetically first) comes first.
  const v = Vocab.build([['read', 'write', 'read'], ['close', 'futex', 'read', 'write', 'close']]);
  assert.deepEqual(v.tokens, [UNK, 'read', 'close', 'write', 'futex']);
  assert.equal(v.size, 5);
  assert.equal(v.id('read'), 1);
  assert.equal(v.token(4), 'futex');
  assert.throws(() => v.token(5), /outside 0\.\.4/);
});

test('an unseen token maps to the unknown id 0', () => {
  const v = Vocab.build([['read', 'write']]);
  assert.equal(v.id('epoll_wait'), 0);
  assert.deepEqual(Array.from(v.encode(['write', 'mmap', 'read'])), [v.id('write'), 0, v.id('read')]);
});

test('the order of the lists does not change the ids', () => {
  const a = Vocab.build([['b', 'a'], ['c', 'a', 'b']]);
  const b = Vocab.build([['c', 'a', 'b'], ['b', 'a']]);
  assert.deepEqual(a.tokens, b.tokens);
});

test('minCount sends rare tokens to the unknown id', () => {
  const v = Vocab.build([['read', 'read', 'write', 'read', 'mmap']], { minCount: 2 });
  assert.deepEqual(v.tokens, [UNK, 'read']);
  assert.equal(v.id('write'), 0);
});

test('a literal "<unk>" in the data does not get a second id', () => {
  const v = Vocab.build([[UNK, 'read', UNK, UNK]]);
  assert.deepEqual(v.tokens, [UNK, 'read']);
});

test('global tokens keep the same syscall of two services apart', () => {
  assert.equal(globalToken('orders', 'sendto'), 'orders:sendto');
  const v = Vocab.build([[globalToken('orders', 'sendto'), globalToken('user', 'sendto'), globalToken('orders', 'sendto')]]);
  assert.equal(v.size, 3);
  assert.notEqual(v.id('orders:sendto'), v.id('user:sendto'));
  assert.equal(v.id('sendto'), 0);
});

test('JSON round trip gives the same ids', () => {
  const v = Vocab.build([['read', 'write', 'read', 'futex']]);
  const back = Vocab.fromJSON(JSON.parse(JSON.stringify(v)));
  assert.deepEqual(back.tokens, v.tokens);
  for (const t of ['read', 'write', 'futex', 'never']) assert.equal(back.id(t), v.id(t));
});

test('fromJSON rejects what is not a vocabulary', () => {
  assert.throws(() => Vocab.fromJSON(null), /expected \{"tokens"/);
  assert.throws(() => Vocab.fromJSON({ tokens: [UNK, 3] }), /expected \{"tokens"/);
  assert.throws(() => Vocab.fromJSON({ tokens: ['read', UNK] }), /as token 0, found "read"/);
  assert.throws(() => Vocab.fromJSON({ tokens: [UNK, 'read', 'read'] }), /appears twice/);
});
