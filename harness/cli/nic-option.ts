// `--nic` values: `user[,mac=M]`, `bridge=BR[,netns=NS][,create][,mac=M][,model=X]`,
// `macvtap=IF[,netns=NS][,mac=M][,model=X]`. Pure; resolveBootOptions validates names and MACs.
import { UsageError } from '../errors.ts';
import type { NicModel, NicOption } from '../boot/boot-options.ts';

export const nicOptionHelp =
  'add a guest NIC (repeatable, in order; default one user NIC): user[,mac=M] | bridge=BR[,netns=NS][,create][,mac=M] | macvtap=IF[,netns=NS][,mac=M]';

export function parseNicOption(text: string): NicOption {
  const [head = '', ...rest] = text.split(',');
  const [mode, target] = head.split('=', 2) as [string, string | undefined];
  const settings = new Map<string, string | true>();
  for (const part of rest) {
    const [key = '', value] = part.split('=', 2);
    if (settings.has(key)) throw usage(text, `\`${key}\` given twice`);
    settings.set(key, value ?? true);
  }
  const allowed: Record<string, string[]> = { user: ['mac'], bridge: ['netns', 'mac', 'model', 'create'], macvtap: ['netns', 'mac', 'model'] };
  const keys = allowed[mode];
  if (!keys) throw usage(text, `unknown NIC mode \`${mode}\``);
  for (const key of settings.keys()) if (!keys.includes(key)) throw usage(text, `\`${key}\` does not apply to a ${mode} NIC (it takes ${keys.join(', ')})`);
  const value = (key: string): string | undefined => {
    const found = settings.get(key);
    if (found === true) throw usage(text, `\`${key}\` needs a value (${key}=…)`);
    return found;
  };
  const mac = value('mac');
  const model = value('model') as NicModel | undefined;
  const netns = value('netns');
  if (mode === 'user') {
    if (target !== undefined) throw usage(text, 'a user NIC takes no `=` target');
    return { mode: 'user', ...(mac ? { mac } : {}) };
  }
  if (!target) throw usage(text, `a ${mode} NIC needs its ${mode === 'bridge' ? 'bridge' : 'host interface'} (${mode}=NAME)`);
  if (settings.get('create') !== undefined && settings.get('create') !== true) throw usage(text, '`create` takes no value');
  const common = { ...(netns ? { netns } : {}), ...(mac ? { mac } : {}), ...(model ? { model } : {}) };
  return mode === 'bridge' ? { mode: 'bridge', bridge: target, ...(settings.has('create') ? { createBridge: true } : {}), ...common } : { mode: 'macvtap', link: target, ...common };
}

function usage(text: string, problem: string): UsageError {
  return new UsageError(`--nic ${text}`, problem, 'write user, bridge=BR[,netns=NS][,create][,mac=M] or macvtap=IF[,netns=NS][,mac=M]');
}
