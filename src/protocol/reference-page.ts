/**
 * /docs: a readable reference of /_access, rendered from the OpenAPI document
 * (so it says exactly what the document says). One self-contained page, no
 * scripts, no external assets.
 */
type JsonSchema = Record<string, any>;

const escapeHtml = (text: unknown): string =>
  String(text ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

/** Inline code spans (`x`) in otherwise escaped text. */
const prose = (text: unknown): string => escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');

const refName = (ref: string): string => ref.replace('#/components/schemas/', '');

/** A short type label for a schema: `string`, `integer | null`, `Person[]`, `RoleFlag` (linked). */
function typeLabel(schema: JsonSchema | undefined): string {
  if (!schema) return 'any';
  if (typeof schema.$ref === 'string') {
    const name = refName(schema.$ref);
    return `<a href="#schema-${escapeHtml(name)}">${escapeHtml(name)}</a>`;
  }
  if (Array.isArray(schema.anyOf)) return schema.anyOf.map((s: JsonSchema) => typeLabel(s)).join(' | ');
  if (Array.isArray(schema.enum)) return schema.enum.map((v: unknown) => escapeHtml(JSON.stringify(v))).join(' | ');
  if (schema.type === 'array') return `${typeLabel(schema.items)}[]`;
  if (typeof schema.type === 'string') return escapeHtml(schema.type);
  return 'object';
}

function constraints(schema: JsonSchema): string {
  const parts: string[] = [];
  if (schema.minLength !== undefined) parts.push(`min length ${schema.minLength}`);
  if (schema.maxLength !== undefined) parts.push(`max length ${schema.maxLength}`);
  if (schema.pattern !== undefined) parts.push(`pattern <code>${escapeHtml(schema.pattern)}</code>`);
  if (Array.isArray(schema.examples)) {
    parts.push(`e.g. ${schema.examples.map((e: unknown) => `<code>${escapeHtml(e)}</code>`).join(', ')}`);
  }
  return parts.join('; ');
}

function parameterRows(body: JsonSchema): string {
  const required = new Set<string>(body.required ?? []);
  const rows = Object.entries<JsonSchema>(body.properties ?? {}).map(
    ([name, schema]) =>
      `<tr><td><code>${escapeHtml(name)}</code></td><td>${required.has(name) ? 'yes' : 'no'}</td>` +
      `<td>${prose(schema.description)}</td><td>${constraints(schema)}</td></tr>`,
  );
  if (body.patternProperties) {
    for (const pattern of Object.keys(body.patternProperties)) {
      rows.push(
        `<tr><td><code>${escapeHtml(pattern)}</code></td><td>no</td><td>numbered parameters</td><td></td></tr>`,
      );
    }
  }
  return `<table><thead><tr><th>Parameter</th><th>Required</th><th>Description</th><th>Accepts</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function functionSection(path: string, item: JsonSchema): string {
  const operation: JsonSchema = item.get ?? item.post;
  const name = path.replace('/_access/', '');
  const body: JsonSchema = item.post.requestBody.content['application/x-www-form-urlencoded'].schema;
  const verbs = item.get ? 'GET or POST' : 'POST';
  const result = operation['x-baton-result'] as string;
  return [
    `<section id="fn-${escapeHtml(name)}">`,
    `<h3>${escapeHtml(name)} <small>${verbs} ${escapeHtml(path)}</small></h3>`,
    `<p>${prose(operation.summary)}</p>`,
    parameterRows(body),
    `<p>Result: <a href="#schema-${escapeHtml(result)}">${escapeHtml(result)}</a></p>`,
    `<pre>${escapeHtml(operation.description.split('Codes:')[1]?.trim() ?? '')}</pre>`,
    '</section>',
  ].join('\n');
}

function schemaSection(name: string, schema: JsonSchema): string {
  const head = `<section id="schema-${escapeHtml(name)}"><h3>${escapeHtml(name)}</h3><p>${prose(schema.description)}</p>`;
  if (schema.type !== 'object' || !schema.properties) {
    return `${head}<p>Type: ${typeLabel(schema)}</p></section>`;
  }
  const rows = Object.entries<JsonSchema>(schema.properties).map(
    ([field, s]) =>
      `<tr><td><code>${escapeHtml(field)}</code></td><td>${typeLabel(s)}</td><td>${prose(s.description)}</td></tr>`,
  );
  return `${head}<table><thead><tr><th>Field</th><th>Type</th><th>Description</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

/** Renders the reference page for an OpenAPI document built by buildOpenApiDocument. */
export function renderReferencePage(document: JsonSchema): string {
  const paths = Object.entries<JsonSchema>(document.paths);
  const schemas = Object.entries<JsonSchema>(document.components.schemas);
  const group = (kind: string) =>
    paths
      .filter(([, item]) => (kind === 'information' ? item.get : !item.get))
      .map(([path, item]) => functionSection(path, item))
      .join('\n');
  const toc = paths
    .map(([path]) => {
      const name = path.replace('/_access/', '');
      return `<li><a href="#fn-${escapeHtml(name)}">${escapeHtml(name)}</a></li>`;
    })
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(document.info.title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:72rem;margin:0 auto;padding:1rem 2rem;line-height:1.45;color:#222}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}code{background:#f6f6f6;padding:0 .2rem}small{color:#666;font-weight:normal}
section{border-top:1px solid #ddd;margin-top:1.5rem}pre{background:#f6f6f6;padding:.5rem;white-space:pre-wrap}
ul.toc{columns:3}
</style></head><body>
<h1>${escapeHtml(document.info.title)}</h1>
<p>Version ${escapeHtml(document.info.version)} · machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1)</p>
<pre>${escapeHtml(document.info.description)}</pre>
<ul class="toc">${toc}</ul>
<h2 id="information">Information requests</h2>
${group('information')}
<h2 id="commands">Command requests</h2>
${group('command')}
<h2 id="schemas">Objects</h2>
${schemas.map(([name, schema]) => schemaSection(name, schema)).join('\n')}
</body></html>
`;
}
