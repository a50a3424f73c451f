// What the Supervisor does with an add-on's options before the add-on starts
// (supervisor/addons/options.py AddonOptions): merge the user's values over
// config.yaml's defaults, check each against its schema type, refuse unknown
// and missing required options, and write the result to options.json.

/** A type string, or a list of one dict of type strings (a list of dicts). */
export type SchemaType = string | [Record<string, string>];
export type Schema = Record<string, SchemaType>;

const RE_INT = /^int(?:\((-?\d+)?,(-?\d+)?\))?$/;
const RE_LIST = /^list\((.+)\)$/;
const RE_MATCH = /^match\((.+)\)$/;

export function supervisorOptions(
  schema: Schema,
  defaults: Record<string, unknown>,
  user: Record<string, unknown>,
): { options: Record<string, unknown>; errors: string[] } {
  const merged: Record<string, unknown> = { ...defaults, ...user };
  const errors: string[] = [];
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(merged)) {
    const type = schema[key];
    if (type === undefined) {
      errors.push(`Unknown option '${key}'`);
      continue;
    }
    const problems = Array.isArray(type)
      ? checkList(type[0], value)
      : check(type.replace(/\?$/, ''), value);
    const list = typeof problems === 'string' ? [problems] : (problems ?? []);
    for (const error of list) errors.push(`${key}${error.startsWith('[') ? '' : ': '}${error}`);
    if (list.length === 0) options[key] = value;
  }
  for (const [key, type] of Object.entries(schema)) {
    if (!Array.isArray(type) && !type.endsWith('?') && !(key in merged))
      errors.push(`Missing option '${key}'`);
  }
  return { options, errors };
}

/** _nested_validate_list + _nested_validate_dict: each element against the dict; missing required keys. */
function checkList(dict: Record<string, string>, value: unknown): string[] {
  if (!Array.isArray(value)) return ['not a list'];
  const errors: string[] = [];
  value.forEach((element, i) => {
    if (typeof element !== 'object' || element === null || Array.isArray(element)) {
      errors.push(`[${i}]: not a dict`);
      return;
    }
    for (const [key, v] of Object.entries(element)) {
      const type = dict[key];
      if (type === undefined) continue; // the Supervisor warns and drops it
      const error = check(type.replace(/\?$/, ''), v);
      if (error) errors.push(`[${i}].${key}: ${error}`);
    }
    for (const [key, type] of Object.entries(dict)) {
      if (!type.endsWith('?') && !(key in element)) errors.push(`[${i}]: missing option '${key}'`);
    }
  });
  return errors;
}

function check(type: string, value: unknown): string | undefined {
  if (type === 'str' || type === 'password')
    return typeof value === 'string' ? undefined : 'not a string';
  if (type === 'bool') return typeof value === 'boolean' ? undefined : 'not a boolean';
  if (type === 'url') {
    if (typeof value !== 'string') return 'not a URL';
    try {
      const url = new URL(value);
      return url.hostname ? undefined : 'not a URL';
    } catch {
      return 'not a URL';
    }
  }
  const int = RE_INT.exec(type);
  if (int) {
    if (typeof value !== 'number' || !Number.isInteger(value)) return 'not an integer';
    if (int[1] !== undefined && value < Number(int[1])) return `below ${int[1]}`;
    if (int[2] !== undefined && value > Number(int[2])) return `above ${int[2]}`;
    return undefined;
  }
  const list = RE_LIST.exec(type);
  if (list)
    return list[1]?.split('|').includes(String(value)) ? undefined : `not one of ${list[1]}`;
  const match = RE_MATCH.exec(type);
  if (match)
    return typeof value === 'string' && new RegExp(`^${match[1]}$`).test(value)
      ? undefined
      : 'does not match';
  return `unknown schema type ${type}`;
}
