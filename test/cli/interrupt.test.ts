/** Ctrl-C handling (cli/interrupt.ts) with the fake Io's interrupt(): what races, what is shielded. */
import { InterruptedError } from '../../cli/errors';
import { Interrupts } from '../../cli/interrupt';
import { fakeIo } from '../support/fake-io';

const interrupted = () => new InterruptedError('interrupted', 'to resume, run: x');

test('race rejects at once on Ctrl-C, without waiting for the work in flight', async () => {
  const io = fakeIo();
  const interrupts = new Interrupts(io);
  const never = new Promise<string>(() => undefined);
  const raced = interrupts.race(never, interrupted);
  expect(io.interrupt()).toBe(true);
  await expect(raced).rejects.toThrow(new InterruptedError('interrupted', 'to resume, run: x'));
  expect(interrupts.signal.aborted).toBe(true);
});

test('race passes the work\'s own result or error on when there is no Ctrl-C', async () => {
  const interrupts = new Interrupts(fakeIo());
  await expect(interrupts.race(Promise.resolve(42), interrupted)).resolves.toBe(42);
  await expect(interrupts.race(Promise.reject(new Error('boom')), interrupted)).rejects.toThrow('boom');
  interrupts.dispose();
});

test('a shielded step runs to its end on Ctrl-C, saying so, and the next Ctrl-C is left to the process', async () => {
  const io = fakeIo();
  const interrupts = new Interrupts(io);
  let finish!: () => void;
  const step = interrupts.shield('finishing the cutover first', () => new Promise<string>((resolve) => { finish = () => resolve('done'); }));
  expect(io.interrupt()).toBe(true);
  expect(io.err()).toBe('\nfinishing the cutover first\n');
  expect(interrupts.signal.aborted).toBe(false);
  finish();
  await expect(step).resolves.toBe('done');
  // No listener any more: a second SIGINT ends the process as it normally does.
  expect(io.interrupt()).toBe(false);
});

test('dispose stops listening', () => {
  const io = fakeIo();
  new Interrupts(io).dispose();
  expect(io.interrupt()).toBe(false);
});
