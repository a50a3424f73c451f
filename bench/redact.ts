// `node --import tsx bench/redact.ts`: the cost of redact() on inputs built to
// make a backtracking pattern quadratic (a long run of token characters, as in
// a 64 kB request header), at 16 and 64 kB. Linear time shows as a 64/16 ratio
// near 4; the quadratic version this replaced took 1.3 s and 9.7-12 s.
import { redact } from '../src/log.js';

const out = (line: string) => process.stdout.write(`${line}\n`);
const inputs: [string, (n: number) => string][] = [
  ['letters (one long run)', (n) => 'a'.repeat(n)],
  ['dotted segments', (n) => 'abcdefghij.'.repeat(Math.ceil(n / 11)).slice(0, n)],
  ['"token: " prose', (n) => 'token: word '.repeat(Math.ceil(n / 12)).slice(0, n)],
  ['bearer and spaces', (n) => `Bearer${' '.repeat(n - 6)}`],
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function time(text: string, runs: number): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    redact(text);
    samples.push(performance.now() - started);
  }
  return median(samples);
}

for (const [name, make] of inputs) {
  const [small, large] = [make(16 * 1024), make(64 * 1024)];
  time(large, 3); // warm-up
  const [a, b] = [time(small, 9), time(large, 9)];
  out(
    `redact() ${name}: 16 kB ${a.toFixed(2)} ms, 64 kB ${b.toFixed(2)} ms (ratio ${(b / a).toFixed(1)}; linear ≈ 4)`,
  );
}
