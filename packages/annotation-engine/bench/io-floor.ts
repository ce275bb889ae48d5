/**
 * The I/O floor of a JavaScript annotator, for the benchmark's `--floor` rows (a script the bench
 * runs as its own node process, not a test).
 *
 *   node --import tsx bench/io-floor.ts INPUT.vcf.gz OUTPUT_BYTES SCRATCH_FILE
 *
 * Two things every run of gas-annotate does at least, timed without annotating anything:
 * - read: gunzip the input (node's zlib, streamed), find each line's end and its first tabs in
 *   the bytes, read POS as a number and make REF and ALT strings (no other string per line):
 *   the least any VCF reader in JS pays before it knows a single variant;
 * - write: write OUTPUT_BYTES (the size of GAS's own VCF output for that input) to a file in
 *   1 MiB chunks from one filled buffer: no formatting, only the system calls and page cache.
 * Prints one JSON line: seconds for each, lines and a checksum of what was read (so the work
 * cannot be skipped), measured inside the process (node's own start-up is not in them).
 */
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

async function readFloor(input: string): Promise<{ seconds: number; lines: number; checksum: number }> {
  const t0 = performance.now();
  let lines = 0;
  let checksum = 0;
  let rest: Buffer = Buffer.alloc(0);
  for await (const piece of createReadStream(input).pipe(createGunzip())) {
    const buf = rest.length > 0 ? Buffer.concat([rest, piece as Buffer]) : (piece as Buffer);
    let from = 0;
    for (let nl = buf.indexOf(10, from); nl >= 0; nl = buf.indexOf(10, from)) {
      lines++;
      if (buf[from] !== 35 /* # */) {
        // the least a reader needs: the tab positions, POS as a number, REF and ALT as strings
        let col = 0;
        let start = from;
        let pos = 0;
        for (let i = from; i <= nl; i++) {
          const c = i === nl ? 9 : buf[i]!;
          if (c !== 9) {
            if (col === 1) pos = pos * 10 + c - 48;
            continue;
          }
          if (col === 3 || col === 4) checksum += buf.toString('latin1', start, i).length;
          col++;
          start = i + 1;
          if (col > 4) break;
        }
        checksum += pos & 1;
      }
      from = nl + 1;
    }
    rest = buf.subarray(from);
  }
  return { seconds: (performance.now() - t0) / 1000, lines, checksum };
}

function writeFloor(bytes: number, scratch: string): { seconds: number; bytes: number } {
  const chunk = Buffer.alloc(1 << 20, 'ACGT|intron_variant|MODIFIER|');
  const t0 = performance.now();
  const fd = openSync(scratch, 'w');
  let left = bytes;
  while (left > 0) {
    const n = Math.min(left, chunk.length);
    writeSync(fd, chunk, 0, n);
    left -= n;
  }
  closeSync(fd);
  return { seconds: (performance.now() - t0) / 1000, bytes };
}

const [input, outputBytes, scratch] = process.argv.slice(2);
if (!input || !outputBytes || !scratch) {
  console.error('usage: io-floor.ts INPUT.vcf.gz OUTPUT_BYTES SCRATCH_FILE');
  process.exit(2);
}
const read = await readFloor(input);
const write = writeFloor(Number(outputBytes), scratch);
await rm(scratch, { force: true });
console.log(JSON.stringify({ read, write }));
