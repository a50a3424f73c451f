import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { DEFAULTS, OPTION_NAMES } from '../../src/options.js';
import { type Schema, supervisorOptions } from '../support/supervisor-options.js';

// config.yaml (what the Supervisor validates and shows), translations/en.yaml
// (the Options tab's labels), DOCS.md (the Documentation tab) and the
// program's parser must describe the same options — and config.yaml must pass
// the two checks it meets outside this repository: the add-on linter CI runs
// (frenck/action-addon-linter v2.21, src/lint.py + src/config.schema.json) and
// the Supervisor's own validation (supervisor/apps/validate.py, 2026.08.0).
// The rules below restate theirs; the sources are named at each rule.
const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const exists = (path: string) => existsSync(new URL(`../../${path}`, import.meta.url));
const config = parse(read('config.yaml')) as {
  options: Record<string, unknown>;
  schema: Schema;
  [key: string]: unknown;
};
const translations = parse(read('translations/en.yaml')) as {
  configuration: Record<string, { name?: string; description?: string }>;
};
const docs = read('DOCS.md');
const SECRETS = ['access_token', 'aws_secret_access_key'];

/** The oldest Home Assistant release the suite runs against (the compatibility subset). */
const OLDEST_HOME_ASSISTANT = '2024.3.3';

// What the Supervisor fills in for a key that is absent (the `default=` of each
// vol.Optional in _SCHEMA_APP_CONFIG); the linter's schema carries the same
// defaults and refuses a key set to one ("should be removed, it uses a default
// value").
const SUPERVISOR_DEFAULTS: Record<string, unknown> = {
  startup: 'application',
  boot: 'auto',
  init: true,
  advanced: false,
  stage: 'stable',
  ingress: false,
  ingress_port: 8099,
  ingress_stream: false,
  panel_icon: 'mdi:puzzle',
  panel_admin: true,
  host_network: false,
  host_pid: false,
  host_ipc: false,
  host_uts: false,
  host_dbus: false,
  udev: false,
  tmpfs: false,
  apparmor: true,
  full_access: false,
  audio: false,
  video: false,
  gpio: false,
  usb: false,
  uart: false,
  devicetree: false,
  kernel_modules: false,
  realtime: false,
  hassio_api: false,
  hassio_role: 'default',
  homeassistant_api: false,
  stdin: false,
  legacy: false,
  docker_api: false,
  auth_api: false,
  backup: 'hot',
  timeout: 10,
  journald: false,
  options: {},
  schema: {},
  ulimits: {},
};

// Keys the linter's schema knows (it sets additionalProperties: false); the
// Supervisor silently drops any other key (vol.REMOVE_EXTRA), so a typo would
// go unnoticed there.
const KNOWN_KEYS = new Set([
  ...Object.keys(SUPERVISOR_DEFAULTS),
  ...['name', 'version', 'slug', 'description', 'arch', 'machine', 'url', 'homeassistant'],
  ...['ports', 'ports_description', 'webui', 'watchdog', 'ingress_entry', 'panel_title'],
  ...['devices', 'map', 'environment', 'privileged', 'services', 'discovery', 'image'],
  ...['backup_exclude', 'backup_pre', 'backup_post', 'breaking_versions', 'auto_uart'],
  'codenotary',
]);

// Keys both refuse or warn about: `watchdog` is replaced by the image's
// HEALTHCHECK (lint.py), `advanced` is ignored since Supervisor 2026.03,
// `codenotary` since signing was dropped, `auto_uart` became `uart`, and the
// `snapshot*` keys became `backup*` (validate.py _warn_app_config and
// _migrate_app_config).
const OBSOLETE_KEYS = [
  'watchdog',
  'advanced',
  'codenotary',
  'auto_uart',
  'snapshot',
  'snapshot_exclude',
  'snapshot_pre',
  'snapshot_post',
];

// An option's type, as the Supervisor parses it (supervisor/apps/options.py
// RE_SCHEMA_ELEMENT); anything else is "Unknown type" when options are saved.
const SCHEMA_TYPE =
  /^(?:bool|email|url|port|device(?:\(subsystem=[a-z]+\))?|str(?:\(\d*,\d*\))?|password(?:\(\d*,\d*\))?|int(?:\(-?\d*,-?\d*\))?|float(?:\(-?\d*\.?\d*,-?\d*\.?\d*\))?|match\(.*\)|list\(.+\))\??$/;

describe('the add-on manifest', () => {
  test('has the keys the Supervisor requires, and ingress without published ports', () => {
    expect(config).toMatchObject({
      name: 'HA Token Manager',
      slug: 'ha_token_manager',
      arch: ['aarch64', 'amd64'],
      init: false,
      ingress: true,
      homeassistant_api: true,
    });
    expect(config.slug).toMatch(/^[-_.A-Za-z0-9]+$/);
    expect(config.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(typeof config.description).toBe('string');
    expect(config.ports).toBeUndefined();
    expect(config.image).toBeUndefined();
    for (const risky of [
      'privileged',
      'full_access',
      'host_network',
      'docker_api',
      'hassio_api',
      'auth_api',
    ]) {
      expect(config[risky], risky).toBeUndefined();
    }
  });

  test('asks for the MQTT service without needing it (supervisor/apps/validate.py RE_SERVICE)', () => {
    // `want`: the add-on starts without a broker (state-only entities); `need` would refuse to.
    expect(config.services).toEqual(['mqtt:want']);
    for (const service of config.services as string[])
      expect(service).toMatch(/^(?:mqtt|mysql):(?:provide|want|need)$/);
  });

  test('the version matches package.json', () => {
    expect(config.version).toBe(JSON.parse(read('package.json')).version);
  });

  test('declares the oldest Home Assistant it is tested against', () => {
    expect(config.homeassistant).toBe(OLDEST_HOME_ASSISTANT);
  });

  test('sets no key to the value the Supervisor would give it anyway', () => {
    const atDefault = Object.entries(SUPERVISOR_DEFAULTS)
      .filter(([key, value]) => key in config && isEqual(config[key], value))
      .map(([key]) => key);
    expect(atDefault).toEqual([]);
  });

  test('uses only keys the linter knows, and none that are obsolete', () => {
    expect(Object.keys(config).filter((key) => !KNOWN_KEYS.has(key))).toEqual([]);
    expect(OBSOLETE_KEYS.filter((key) => key in config)).toEqual([]);
    expect(config.arch).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^(armhf|armv7|i386)$/)]),
    );
    if (config.ingress) expect(config.webui).toBeUndefined();
    if (config.ingress && !config.host_network) expect(config.ingress_port).not.toBe(0);
  });

  test('the base image is in the Dockerfile: no build.yaml (deprecated since Supervisor 2026.04)', () => {
    const buildFiles = readdirSync(new URL('../..', import.meta.url)).filter((f) =>
      /^build\.(ya?ml|json)$/.test(f),
    );
    expect(buildFiles).toEqual([]);
  });

  test('every schema type is one the Supervisor parses, and every default fits its schema', () => {
    for (const [name, type] of Object.entries(config.schema)) {
      // A list of dicts: one dict of element types (supervisor/addons/validate.py SCHEMA_ELEMENT).
      const types = Array.isArray(type) ? Object.values(type[0]) : [type];
      expect(Array.isArray(type) ? type.length : 1, name).toBe(1);
      for (const t of types) expect(t, name).toMatch(SCHEMA_TYPE);
    }
    expect(Object.keys(config.options).filter((name) => !(name in config.schema))).toEqual([]);
    expect(supervisorOptions(config.schema, config.options, {}).errors).toEqual([]);
  });

  test('every option is in the schema, the parser, the translations and DOCS.md — and nothing else is', () => {
    const schemaNames = Object.keys(config.schema).sort();

    expect(schemaNames).toEqual([...OPTION_NAMES].sort());
    expect(Object.keys(translations.configuration).sort()).toEqual(schemaNames);
    for (const name of schemaNames) {
      expect(translations.configuration[name]?.name, name).toBeTruthy();
      expect(translations.configuration[name]?.description, name).toBeTruthy();
      expect(docs, `DOCS.md mentions ${name}`).toContain(`\`${name}\``);
    }
  });

  test('defaults agree between config.yaml and the parser; optional options have none', () => {
    expect(config.options).toEqual(DEFAULTS);
    for (const [name, type] of Object.entries(config.schema)) {
      // A list is never required by the Supervisor; it has a default ([]) here.
      if (Array.isArray(type)) continue;
      expect(type.endsWith('?'), `${name} is optional exactly when it has no default`).toBe(
        !(name in config.options),
      );
    }
  });

  test('secrets are password fields, so the Options tab masks them', () => {
    for (const name of SECRETS) expect(config.schema[name]).toBe('password?');
    for (const [name, type] of Object.entries(config.schema)) {
      if (!SECRETS.includes(name) && typeof type === 'string')
        expect(type.startsWith('password'), name).toBe(false);
    }
  });

  test('a consumers list the Supervisor accepts is one the parser accepts, and the reverse for a bad one', () => {
    const good = {
      consumers: [
        { name: 'alexa-skill', ssm_parameter: '/home-assistant/consumers/alexa-skill' },
        { name: 'nas_2', ssm_parameter: '/ha/nas', lifespan_days: 30, grace_minutes: 5 },
      ],
    };
    expect(supervisorOptions(config.schema, config.options, good).errors).toEqual([]);
    const bad = { consumers: [{ name: 'Alexa Skill', lifespan_days: 0 }] };
    expect(supervisorOptions(config.schema, config.options, bad).errors).toEqual([
      'consumers[0].name: does not match',
      'consumers[0].lifespan_days: below 1',
      "consumers[0]: missing option 'ssm_parameter'",
    ]);
  });

  test('list types offer exactly what the parser accepts', () => {
    expect(config.schema.token_source).toBe('list(options|ssm)');
    expect(config.schema.log_level).toBe('list(trace|debug|info|notice|warning|error|fatal)');
  });

  test('repository.yaml names the repository (supervisor/store/validate.py)', () => {
    const repository = parse(read('repository.yaml')) as Record<string, unknown>;
    expect(repository.name).toEqual(expect.any(String));
    expect(String(repository.url)).toMatch(/^https:\/\//);
  });

  test('README.md is the store page: the introduction, a picture and the install steps come first', () => {
    const readme = read('README.md');
    const sections = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(sections.slice(0, 2)).toEqual(['Install', 'Quick start (developers)']);
    const picture =
      /!\[[^\]]+\]\(https:\/\/raw\.githubusercontent\.com\/[^/]+\/[^/]+\/main\/(assets\/[\w.-]+\.png)\)/.exec(
        readme.slice(0, readme.indexOf('## Install')),
      );
    expect(picture, 'a picture of the page before the install steps').not.toBeNull();
    expect(exists(picture?.[1] as string)).toBe(true);
    expect(readme).toContain('npm ci && npm run demo ');
    expect(readme).toContain('npm ci && npm test ');
    // The design notes this repository grew from are not in it: the README cites docs/ only.
    expect(readme).not.toMatch(/DESIGN\.md/);
  });

  test("DOCS.md's IAM policies are complete and grant what the add-on calls, on ARNs", () => {
    type Statement = {
      Action: string | string[];
      Resource: string | string[];
      Condition?: Record<string, Record<string, string | string[]>>;
    };
    const policies = [...docs.matchAll(/```json\n([\s\S]*?)```/g)].map(
      (m) => JSON.parse(m[1] as string) as { Version: string; Statement: Statement[] },
    );
    const actions = (p: { Statement: Statement[] }) =>
      p.Statement.flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]));

    // read, read + rotate; each with aws/ssm or a key of your own; and the consumers' path
    expect(policies).toHaveLength(5);
    for (const policy of policies) {
      expect(policy.Version).toBe('2012-10-17');
      expect(actions(policy)).toContain('ssm:GetParameter');
      for (const statement of policy.Statement) {
        const resources = [statement.Resource].flat();
        for (const resource of resources)
          expect(resource).toMatch(
            /^(\*|arn:aws:(ssm|kms):[a-z0-9-]+:\d{12}:(parameter\/|key\/)\S+)$/,
          );
        if (resources.some((r) => r.includes(':kms:'))) {
          const context =
            statement.Condition?.StringEquals?.['kms:EncryptionContext:PARAMETER_ARN'];
          for (const arn of [context ?? ''].flat()) expect(arn).toMatch(/^arn:aws:ssm:/);
        }
      }
    }
    const consumers = policies.filter((p) => actions(p).includes('ssm:GetParameters'));
    expect(consumers).toHaveLength(1);
    expect(actions(consumers[0] as (typeof policies)[number])).toEqual(
      expect.arrayContaining([
        'ssm:GetParameter',
        'ssm:GetParameters',
        'ssm:PutParameter',
        'ssm:AddTagsToResource',
        'ssm:DescribeParameters',
      ]),
    );
    for (const resource of [consumers[0]?.Statement[0]?.Resource ?? ''].flat())
      expect(resource).toMatch(/:parameter\/home-assistant\/consumers\/[a-z]+$/);
    const rotate = policies.filter(
      (p) => actions(p).includes('ssm:PutParameter') && !consumers.includes(p),
    );
    expect(rotate).toHaveLength(2);
    // Each parameter's key: found by DescribeParameters, or named (ssm_kms_key_id) and granted.
    for (const policy of rotate)
      expect(
        actions(policy).includes('ssm:DescribeParameters') ||
          actions(policy).includes('kms:Encrypt'),
      ).toBe(true);
    const ownKey = policies.filter((p) => actions(p).some((a) => a.startsWith('kms:')));
    expect(ownKey.flatMap(actions)).toEqual(
      expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']),
    );
    expect(ownKey).toHaveLength(2);
  });

  test('the files the store shows are there', () => {
    for (const file of ['README.md', 'DOCS.md', 'CHANGELOG.md', 'icon.png', 'logo.png']) {
      expect(exists(file), file).toBe(true);
    }
  });
});

function isEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
