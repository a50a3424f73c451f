import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { DEFAULTS, OPTION_NAMES } from '../../src/options.js';

// config.yaml (what the Supervisor validates and shows), translations/en.yaml
// (the Options tab's labels), DOCS.md (the Documentation tab) and the
// program's parser must describe the same options.
const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const config = parse(read('config.yaml')) as {
  options: Record<string, unknown>;
  schema: Record<string, string>;
  [key: string]: unknown;
};
const translations = parse(read('translations/en.yaml')) as {
  configuration: Record<string, { name?: string; description?: string }>;
};
const docs = read('DOCS.md');
const SECRETS = ['access_token', 'aws_secret_access_key'];

describe('the add-on manifest', () => {
  test('has the keys the Supervisor requires, and ingress without published ports', () => {
    expect(config).toMatchObject({
      name: 'HA Token Manager',
      slug: 'ha_token_manager',
      arch: ['aarch64', 'amd64'],
      init: false,
      ingress: true,
      ingress_port: 8099,
      homeassistant_api: true,
      watchdog: 'http://[HOST]:[PORT:8099]/health',
    });
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

  test('the version matches package.json', () => {
    expect(config.version).toBe(JSON.parse(read('package.json')).version);
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
      expect(type.endsWith('?'), `${name} is optional exactly when it has no default`).toBe(
        !(name in config.options),
      );
    }
  });

  test('secrets are password fields, so the Options tab masks them', () => {
    for (const name of SECRETS) expect(config.schema[name]).toBe('password?');
    for (const [name, type] of Object.entries(config.schema)) {
      if (!SECRETS.includes(name)) expect(type.startsWith('password'), name).toBe(false);
    }
  });

  test('list types offer exactly what the parser accepts', () => {
    expect(config.schema.token_source).toBe('list(options|ssm)');
    expect(config.schema.log_level).toBe('list(trace|debug|info|notice|warning|error|fatal)');
  });
});
