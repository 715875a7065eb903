/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions with the
 * most self time, and self time by where the code lives (Baton's own files,
 * each dependency, Node internals, GC, idle).
 *
 *   node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a script lives: `src/…`, a package name, `node:internal`, or a V8 pseudo-frame. */
function area(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node internals';
  const own = /\/(dist\/)?(src|bench)\/(.*)$/.exec(url);
  if (own) return `baton ${own[2]}/${own[3]!.split('/')[0]}`;
  return url;
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\/.*?\/(node_modules|dist|src)\//, '$1/');
}

/** The top `top` functions by self time and the self time per area, as markdown. */
export function summariseProfile(file: string, top = 25): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    total += dt;
  });
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const name = `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    const where = area(url, functionName);
    byArea.set(where, (byArea.get(where) ?? 0) + us);
  }
  const busy = total - (byArea.get('(idle)') ?? 0);
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1)}%`;
  const lines = [
    `${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (percentages of busy time)`,
    '',
  ];
  lines.push('| self | where |', '|---:|---|');
  for (const [where, us] of [...byArea]
    .filter(([w]) => w !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)) {
    lines.push(`| ${pct(us)} | ${where} |`);
  }
  lines.push('', '| self | function |', '|---:|---|');
  for (const [name, us] of [...byFunction]
    .filter(([n]) => !n.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    lines.push(`| ${pct(us)} | \`${name}\` |`);
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: profile-summary.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(summariseProfile(file, Number(process.argv[3] ?? 25)) + '\n');
}
