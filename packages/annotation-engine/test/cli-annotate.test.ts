/**
 * The real CLI as a child process, the way other tools call it and as the root command
 * `pnpm -s gas-annotate` runs it: the launcher (scripts/gas-annotate.mjs) and the bundle it
 * builds from src/ (here into a temp folder, once, in beforeAll; cli-launcher.test.ts tests the
 * building). Outputs that bcftools, tabix and VEP's CSQ readers (bcftools +split-vep) accept, TSV
 * and JSON, the summary and log files, exit codes, and exactly one line on stderr on failure,
 * never a stack. (Through the bundle the 16 tests take ~10 s; through tsx they took ~75 s.)
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsq } from './fixtures/io/csq.ts';
import { chr21, cliLauncher, inputs, repoRoot, runCli, tempDir } from './fixtures/io/shared.ts';

const temp = await tempDir('gas-cli-');
const dist = await tempDir('gas-cli-dist-');
afterAll(() => Promise.all([temp.remove(), dist.remove()]));
/** The environment of a CLI process started here directly: the bundle in its own temp folder. */
const env = { ...process.env, GAS_CLI_DIST: dist.dir };
const run = (args: string[]) => runCli(dist.dir, args, { cwd: temp.dir });

const base = ['--fasta', chr21.fasta, '--gff', chr21.gff];
const out = (name: string) => path.join(temp.dir, name);

function oneErrorLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(lines[0]).toMatch(/^gas-annotate: /);
  return lines[0]!;
}

// the bundle is built once, before the tests (the launcher builds it when it is missing)
beforeAll(async () => {
  const r = await run(['--help']);
  expect(r.code).toBe(0);
}, 120_000);

// each test starts the CLI one to three times (start-up plus gene models): generous timeouts
describe('gas-annotate', { timeout: 120_000 }, () => {
  it('VCF output that bcftools reads, with the VEP CSQ header, provenance, summary and log', async () => {
    const r = await run([
      ...base,
      '-i',
      inputs('vep-test.chr21.vcf'),
      '-o',
      out('a.vcf'),
      '--summary',
      out('a.json'),
      '--log',
      out('a.log'),
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^gas-annotate: annotated 132 of 132 records into .*a\.vcf \(\d+\.\d s\)\n$/);
    const text = await readFile(out('a.vcf'), 'utf8');
    const { fields, records, meta } = readCsq(text);
    expect(fields.slice(0, 24).join('|')).toBe(
      'Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|HGVSp|cDNA_position|CDS_position|Protein_position|Amino_acids|Codons|Existing_variation|DISTANCE|STRAND|FLAGS|SYMBOL_SOURCE|HGNC_ID|ALLELE_NUM',
    );
    expect(meta.find((l) => l.startsWith('##INFO=<ID=CSQ,'))).toMatch(
      /^##INFO=<ID=CSQ,Number=\.,Type=String,Description="Consequence annotations from Ensembl VEP\. Format: Allele\|Consequence\|/,
    );
    const gffSha = execFileSync('sha256sum', [chr21.gff], { encoding: 'utf8' }).split(' ')[0];
    const faSha = execFileSync('sha256sum', [chr21.fasta], { encoding: 'utf8' }).split(' ')[0];
    expect(meta).toContain(`##GAS_geneModels=ensembl84.chr21.gff3.gz format=gff3 sha256=${gffSha}`);
    expect(meta).toContain(`##GAS_reference=chr21.fa.gz sha256=${faSha}`);
    expect(meta.find((l) => l.startsWith('##GAS_command_line='))).toContain('-i ');
    expect(records).toHaveLength(132);
    // a standard CSQ reader takes the field order from our header
    const split = execFileSync(
      'bcftools',
      ['+split-vep', '-d', '-f', '%ID %Feature %Consequence %Protein_position %Amino_acids\\n', out('a.vcf')],
      {
        encoding: 'utf8',
      },
    );
    expect(split).toContain('rs142513484 ENST00000352957 missense_variant 331 A/T\n');
    expect(
      execFileSync('bcftools', ['view', '-H', out('a.vcf')], { encoding: 'utf8' })
        .trimEnd()
        .split('\n'),
    ).toHaveLength(132);
    const summary = JSON.parse(await readFile(out('a.json'), 'utf8'));
    expect(summary.records).toMatchObject({ read: 132, annotated: 132, malformed: 0 });
    expect(summary.geneModels.sha256).toBe(gffSha);
    expect(Object.keys(summary.counts.byConsequence)).toContain('missense_variant');
    expect(summary.timings.totalMs).toBeGreaterThan(0);
    const log = await readFile(out('a.log'), 'utf8');
    expect(log).toMatch(/gene models .*ensembl84\.chr21\.gff3\.gz: \d+ transcripts \(gff3\)/);
    expect(log).toMatch(/read 132 records from 139 lines; annotated 132 records/);
    expect(log).toMatch(/done in \d+\.\d\d s/);
  });

  it('bgzip output when the name ends in .gz: bcftools view and tabix accept it', async () => {
    const r = await run([...base, '-i', inputs('vep-test.chr21.vcf'), '-o', out('b.vcf.gz'), '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const view = execFileSync('bcftools', ['view', '-H', out('b.vcf.gz')], { encoding: 'utf8' });
    expect(view.trimEnd().split('\n')).toHaveLength(132);
    expect(view).toContain('CSQ=T|');
    execFileSync('tabix', ['-p', 'vcf', out('b.vcf.gz')]);
    const region = execFileSync('tabix', [out('b.vcf.gz'), '21:25585733-25585733'], { encoding: 'utf8' });
    expect(region).toMatch(/^21\t25585733\trs142513484\tC\tT\t/);
  });

  it('TSV: a header row and one row per allele x transcript', async () => {
    const r = await run([
      ...base,
      '-i',
      inputs('vep-test.chr21.vcf'),
      '-o',
      out('c.txt'),
      '--format',
      'tsv',
      '--summary',
      out('c.json'),
    ]);
    expect(r.code).toBe(0);
    const rows = (await readFile(out('c.txt'), 'utf8')).trimEnd().split('\n');
    const summary = JSON.parse(await readFile(out('c.json'), 'utf8'));
    expect(rows[0]!.split('\t').slice(0, 6)).toEqual(['CHROM', 'POS', 'ID', 'REF', 'ALT', 'Allele']);
    expect(rows.length - 1).toBe(summary.records.alleleTranscriptPairs);
    const head = rows[0]!.split('\t');
    const row = rows
      .map((l) => l.split('\t'))
      .find((c) => c[2] === 'rs142513484' && c[head.indexOf('Feature')] === 'ENST00000352957')!;
    expect(row[head.indexOf('HGVSc')]).toBe('ENST00000352957.8:c.991G>A');
  });

  it('JSON Lines: one object per record', async () => {
    const r = await run([
      ...base,
      '-i',
      inputs('vep-test.chr21.vcf'),
      '-o',
      out('d.json'),
      '--format',
      'json',
    ]);
    expect(r.code).toBe(0);
    const objs = (await readFile(out('d.json'), 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(objs).toHaveLength(132);
    expect(objs[0]).toMatchObject({ line: 8, chrom: '21', pos: 25585733, id: 'rs142513484' });
    expect(objs[0].alleles[0].consequences.length).toBeGreaterThan(0);
  });

  it('"-" reads stdin and writes stdout, so it can sit in a pipe', async () => {
    const child = spawn(process.execPath, [cliLauncher, ...base, '-i', '-', '-o', '-'], {
      cwd: temp.dir,
      env,
    });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.stdin.end(await readFile(inputs('vep-test.chr21.vcf')));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stderr).toMatch(/^gas-annotate: annotated 132 of 132 records into stdout/);
    const { records } = readCsq(Buffer.concat(chunks).toString('utf8'));
    expect(records).toHaveLength(132);
    expect(records.every((r) => r.csq.length > 0)).toBe(true);
  });

  it('contig names from a synonyms file', async () => {
    const vcf = (await readFile(inputs('vep-test.chr21.vcf'), 'utf8')).replace(/^21\t/gm, 'CM000683.2\t');
    await writeFile(out('genbank.vcf'), vcf);
    const r = await run([
      ...base,
      '-i',
      out('genbank.vcf'),
      '-o',
      out('e.vcf'),
      '--synonyms',
      chr21.synonyms,
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('annotated 132 of 132 records');
  });

  it('--help prints the usage; bad options are one line and exit 2', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: gas-annotate --fasta FASTA --gff GENES -i INPUT/);
    for (const opt of ['--on-error', '--format', '--summary', '--synonyms'])
      expect(help.stdout).toContain(opt);
    const missing = await run(['-i', 'x.vcf', '-o', 'y.vcf']);
    expect(missing.code).toBe(2);
    expect(oneErrorLine(missing.stderr)).toMatch(/^gas-annotate: missing --fasta\b.*; see --help$/);
    const badFormat = await run([...base, '-i', 'x.vcf', '-o', 'y.vcf', '--format', 'xml']);
    expect(badFormat.code).toBe(2);
    expect(oneErrorLine(badFormat.stderr)).toBe(
      'gas-annotate: --format must be one of vcf, tsv, json, not "xml"',
    );
    const unknown = await run([...base, '--frobnicate']);
    expect(unknown.code).toBe(2);
    expect(oneErrorLine(unknown.stderr)).toMatch(
      /^gas-annotate: Unknown option '--frobnicate'.*; see --help$/,
    );
  });

  const BAD_VCF =
    '##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n21\t25585733\t.\tC\tT\t.\t.\t.\n21\tx\t.\tC\tT\t.\t.\t.\n';

  /** Failures: exit 1 and exactly this one line on stderr (a RegExp where the text has a path). */
  const FAILURES: Array<{
    name: string;
    setup?: () => Promise<void>;
    args: () => string[];
    line: string | RegExp;
  }> = [
    {
      name: 'empty input',
      setup: () => writeFile(out('empty.vcf'), ''),
      args: () => [...base, '-i', out('empty.vcf'), '-o', out('f1.vcf')],
      line: 'gas-annotate: the input file is empty',
    },
    {
      name: 'missing input',
      args: () => [...base, '-i', out('nope.vcf'), '-o', out('f2.vcf')],
      line: /^gas-annotate: cannot read ".*nope\.vcf": no such file$/,
    },
    {
      name: 'a bad line under --on-error stop',
      setup: () => writeFile(out('bad.vcf'), BAD_VCF),
      args: () => [...base, '-i', out('bad.vcf'), '-o', out('f3.vcf'), '--on-error', 'stop'],
      line: 'gas-annotate: line 4: POS "x" is not a whole number',
    },
    {
      name: 'a GRCh37 input whose contig is not in the FASTA',
      args: () => [
        ...base,
        '-i',
        inputs('1kg-phase1.grch37.chr1-head.1092-samples.vcf.gz'),
        '-o',
        out('f4.vcf'),
      ],
      // the engine's message, and the CLI's own way to map other names (the service gives its own)
      line: /^gas-annotate: none of the 970 records is on a contig of the reference FASTA: .*GRCh37\. Check that the input and the reference are the same assembly and species, or give a --synonyms file for other contig names$/,
    },
    {
      name: 'an output directory that does not exist',
      args: () => [
        ...base,
        '-i',
        inputs('vep-test.chr21.vcf'),
        '-o',
        path.join(temp.dir, 'no/such/dir/x.vcf'),
      ],
      line: /^gas-annotate: cannot write the output ".*no\/such\/dir\/x\.vcf": its directory does not exist$/,
    },
    {
      name: 'gene models on contigs the FASTA does not have',
      setup: async () => {
        const gff = gunzipSync(await readFile(chr21.gff))
          .toString('utf8')
          .replace(/^21\t/gm, 'chrUn_X\t');
        await writeFile(out('other.gff3'), gff);
      },
      args: () => [
        '--fasta',
        chr21.fasta,
        '--gff',
        out('other.gff3'),
        '-i',
        inputs('vep-test.chr21.vcf'),
        '-o',
        out('f5.vcf'),
      ],
      line: /^gas-annotate: none of the gene models in .*other\.gff3 is on a contig of the reference FASTA \(gene model contigs: chrUn_X; FASTA: 21\); are they for the same assembly\? A --synonyms file can map other contig names$/,
    },
    {
      name: 'a FASTA that is not a FASTA',
      setup: () => writeFile(out('bad.vcf'), BAD_VCF),
      args: () => [
        '--fasta',
        out('bad.vcf'),
        '--gff',
        chr21.gff,
        '-i',
        inputs('vep-test.chr21.vcf'),
        '-o',
        out('f6.vcf'),
      ],
      line: /^gas-annotate: .*bad\.vcf/,
    },
  ];

  for (const f of FAILURES) {
    it(`fails with one clear line: ${f.name}`, async () => {
      await f.setup?.();
      const r = await run(f.args());
      expect(r.code).toBe(1);
      const line = oneErrorLine(r.stderr);
      if (typeof f.line === 'string') expect(line).toBe(f.line);
      else expect(line).toMatch(f.line);
      const o = f.args()[f.args().indexOf('-o') + 1]!;
      await expect(readFile(o)).rejects.toThrow(/ENOENT/);
    });
  }

  it('SIGTERM stops the run: exit 130, one line, no output or partial file left', async () => {
    const o = out('sig.vcf.gz');
    // one node process (the launcher imports the bundle): the signal reaches the CLI itself
    const child = spawn(
      process.execPath,
      [cliLauncher, ...base, '-i', inputs('synthetic-100k.chr21.vcf.gz'), '-o', o],
      { cwd: repoRoot, env },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    let exited = false;
    const closed = new Promise<number | null>((resolve) =>
      child.on('close', (code) => {
        exited = true;
        resolve(code);
      }),
    );
    // the partial output appears once the run is under way
    while (!(await readdir(temp.dir)).some((f) => f.startsWith('sig.vcf.gz.partial-'))) {
      if (exited) throw new Error(`the CLI ended before the signal: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGTERM');
    expect(await closed).toBe(130);
    expect(oneErrorLine(stderr)).toBe(
      'gas-annotate: annotation stopped before the end (received SIGTERM); no output was written',
    );
    expect((await readdir(temp.dir)).filter((f) => f.startsWith('sig.vcf.gz'))).toEqual([]);
  });

  it('bad lines under the default skip policy: exit 0, reported in the log', async () => {
    await writeFile(out('bad.vcf'), BAD_VCF);
    const skip = await run([...base, '-i', out('bad.vcf'), '-o', out('g.vcf'), '--log', out('g.log')]);
    expect(skip.code).toBe(0);
    // the malformed line counts as a record read (as on the job page), in plain English
    expect(skip.stderr).toMatch(
      /^gas-annotate: annotated 1 of 2 records into .*g\.vcf; 1 record skipped, 1 problem reported in .*g\.log \(\d+\.\d s\)\n$/,
    );
    expect(await readFile(out('g.log'), 'utf8')).toContain('line 4: POS "x" is not a whole number');
  });

  it('without --log the first problems go to stderr with their lines, then how many more and where', async () => {
    const header = '##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n';
    const bad = Array.from({ length: 7 }, (_, i) => `21\tx${i + 1}\t.\tC\tT\t.\t.\t.\n`).join('');
    // 21:25585733 is C in the FASTA: a REF of G is a mismatch
    await writeFile(out('many.vcf'), `${header}${bad}21\t25585733\t.\tG\tT\t.\t.\t.\n`);
    const plain = await run([...base, '-i', out('many.vcf'), '-o', out('many.out.vcf')]);
    expect(plain.code).toBe(0);
    const lines = plain.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^gas-annotate: annotated 0 of 8 records into .*many\.out\.vcf; 8 records skipped, 8 problems reported \(/,
    );
    expect(lines.slice(1)).toEqual([
      'gas-annotate: line 3: POS "x1" is not a whole number',
      'gas-annotate: line 4: POS "x2" is not a whole number',
      'gas-annotate: line 5: POS "x3" is not a whole number',
      'gas-annotate: line 6: POS "x4" is not a whole number',
      'gas-annotate: line 7: POS "x5" is not a whole number',
      'gas-annotate: ... and 3 more problems (see --summary FILE or --log FILE)',
    ]);
    const withSummary = await run([
      ...base,
      '-i',
      out('many.vcf'),
      '-o',
      out('many.out.vcf'),
      '--summary',
      out('m.json'),
    ]);
    expect(withSummary.stderr.trimEnd().split('\n').at(-1)).toBe(
      `gas-annotate: ... and 3 more problems (see ${out('m.json')})`,
    );
    const withLog = await run([
      ...base,
      '-i',
      out('many.vcf'),
      '-o',
      out('many.out.vcf'),
      '--log',
      out('m.log'),
    ]);
    expect(withLog.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(await readFile(out('m.log'), 'utf8')).toContain(
      'WARN: 1 REF allele of 1 checked does not match the reference',
    );
  });
});
