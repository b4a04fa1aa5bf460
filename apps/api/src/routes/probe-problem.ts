import { Value } from '@sinclair/typebox/value';
import { CommandProbeSchema, KernelProbeSchema } from '@kbisect/service';

/**
 * The first problem with a probe, judged against the branch its `type`
 * names. Schema validation of a union would report the first branch's
 * complaint ("must have required property 'command'") for a kernel probe.
 */
export function probeProblem(probe: unknown): { field: string; message: string } | undefined {
  if (typeof probe !== 'object' || probe === null) return undefined;
  const type = (probe as { type?: unknown }).type;
  const schema = type === 'kernel' ? KernelProbeSchema : type === 'command' ? CommandProbeSchema : undefined;
  if (!schema) return undefined;
  const first = Value.Errors(schema, probe).First();
  if (!first) return undefined;
  const field = `probe${first.path.replace(/\//g, '.')}`;
  return { field, message: `body.${field}: ${first.message}` };
}
