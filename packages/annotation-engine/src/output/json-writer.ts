/**
 * JSON output as JSON Lines (one object per input record, like VEP's --json), so it streams:
 * `{"line","chrom","pos","id","ref","alts","note"?,"alleles":[{"allele","alleleNum","start",
 * "end","ref","alt","note"?,"consequences":[{<CSQ field>: value, ...}]}]}`. Consequence objects
 * use the CSQ field names as keys and leave out empty values; coordinates are GENOMIC, 1-BASED,
 * CLOSED (insertion: end = start - 1) after trimming to the minimal representation.
 */
import type { VcfHeader } from '../vcf/header.ts';
import { type AnnotationField, CSQ_FIELDS, type FieldContext } from './fields.ts';
import { latin1Safe, type RecordSink } from './sink.ts';
import type { AnnotatedRecord, AnnotationWriter, Provenance } from './types.ts';

export class JsonLinesWriter implements AnnotationWriter {
  readonly format = 'json' as const;
  private readonly sink: RecordSink;
  private readonly ctx: FieldContext;
  private readonly fields: readonly AnnotationField[];

  constructor(sink: RecordSink, provenance: Provenance, fields: readonly AnnotationField[] = CSQ_FIELDS) {
    this.sink = sink;
    this.fields = fields;
    this.ctx = { source: provenance.geneModels ? provenance.geneModels.path.split('/').pop()! : '' };
  }

  async start(_header: VcfHeader): Promise<void> {}

  write(a: AnnotatedRecord): Promise<void> | undefined {
    const r = a.record;
    const alleles = a.alleles.map((al) => {
      const consequences = a.consequences
        .filter((c) => c.allele === al)
        .map((c) => {
          const o: Record<string, string> = {};
          for (const f of this.fields) {
            const v = f.value(c, this.ctx);
            if (v !== '') o[f.name] = v;
          }
          return o;
        });
      return {
        allele: al.allele,
        alleleNum: al.alleleNum,
        start: al.start,
        end: al.end,
        ref: al.ref,
        alt: al.alt,
        ...(al.symbolic !== null ? { note: al.symbolic } : {}),
        consequences,
      };
    });
    const obj = {
      line: r.line,
      chrom: r.chrom,
      ...(a.chrom !== null && a.chrom !== r.chrom ? { referenceChrom: a.chrom } : {}),
      pos: r.pos,
      id: r.id,
      ref: r.ref,
      alts: r.alts,
      ...(a.note !== null ? { note: a.note } : {}),
      alleles,
    };
    return this.sink.line(latin1Safe(JSON.stringify(obj)));
  }

  writeEncoded(bytes: Uint8Array): Promise<void> | undefined {
    return this.sink.chunk(bytes);
  }

  finish(): Promise<void> {
    return this.sink.close();
  }

  abort(): Promise<void> {
    return this.sink.abort();
  }
}
