import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';

// The image as the Supervisor builds and runs it: the Dockerfile (base image,
// package pins, HEALTHCHECK) and the AppArmor profile, with the security
// rating the Supervisor shows for the result.
const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const config = parse(read('config.yaml')) as Record<string, unknown>;
const dockerfile = read('Dockerfile');
const instructions = dockerfile
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .filter((line) => line.trim() && !line.startsWith('#'));
const INGRESS_PORT = (config.ingress_port as number | undefined) ?? 8099; // the Supervisor's default

describe('the Dockerfile', () => {
  test('names one pinned base image in every stage and ignores BUILD_FROM', () => {
    // Supervisors before 2026.04 pass BUILD_FROM=…/{arch}-base:latest when there
    // is no build.yaml; later ones pass none (see the Dockerfile's comment).
    const froms = instructions.filter((line) => line.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) {
      expect(from).toMatch(
        /^FROM ghcr\.io\/home-assistant\/base:\d+\.\d+(?:@sha256:[0-9a-f]{64})?( AS \w+)?$/,
      );
    }
    expect(new Set(froms.map((f) => f.split(' ')[1])).size).toBe(1);
    expect(dockerfile).not.toMatch(/\$\{?BUILD_FROM/);
  });

  test('pins every apk package (hadolint DL3018) and installs without a cache', () => {
    const adds = instructions.filter((line) => /\bapk add\b/.test(line));
    expect(adds.length).toBeGreaterThan(0);
    for (const add of adds) {
      expect(add).toContain('--no-cache');
      const packages = add
        .replace(/^RUN apk add /, '')
        .split(/\s+/)
        .filter((word) => word && !word.startsWith('-'));
      for (const pkg of packages) expect(pkg).toMatch(/^[a-z0-9.+-]+=~?\d[\w.-]*$/);
    }
    expect(dockerfile).toMatch(/\bnodejs=~24\b/);
  });

  test("has a HEALTHCHECK on /health at the ingress port, in exec form, with the base image's curl", () => {
    const check = instructions.find((line) => line.startsWith('HEALTHCHECK '));
    expect(check, 'HEALTHCHECK').toBeDefined();
    const command = JSON.parse((check as string).replace(/^.*? CMD /, '')) as string[];
    expect(command[0]).toBe('curl');
    expect(command).toContain('--fail');
    expect(command.at(-1)).toBe(`http://127.0.0.1:${INGRESS_PORT}/health`);
    expect(check).toMatch(/--timeout=\d+s/);
    expect(check).toMatch(/--start-period=\d+s/);
  });

  test("ships Alpine's Node.js, not the test binaries (optional dependencies) from npm", () => {
    const npmSteps = instructions.filter((line) => /\bnpm (ci|prune)\b/.test(line));
    expect(npmSteps.length).toBeGreaterThanOrEqual(2);
    for (const step of npmSteps) expect(step).toContain('--omit=optional');
  });

  test('runs run.sh, which execs node on the built program', () => {
    expect(instructions.at(-1)).toBe('CMD ["/run.sh"]');
    expect(read('run.sh')).toMatch(/^exec node \/app\/dist\/main\.js$/m);
  });
});

describe('the AppArmor profile', () => {
  const profile = read('apparmor.txt');
  const rules = profile
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && (!line.startsWith('#') || line.startsWith('#include')));

  test('holds exactly one top-level profile, which the Supervisor renames to the slug', () => {
    // supervisor/utils/apparmor.py get_profile_name: /^profile ([^ ]+)/ per line, exactly one.
    const names = [...profile.matchAll(/^profile ([^ ]+)/gm)].map((m) => m[1]);
    expect(names).toEqual([config.slug]);
    expect(profile).toMatch(/^#include <tunables\/global>$/m);
    expect(profile).toMatch(/flags=\(attach_disconnected,mediate_deleted\)/);
    expect(config.apparmor).toBeUndefined(); // false would switch it off
  });

  test('allows what the program does', () => {
    for (const rule of [
      '/run.sh rix,',
      '/usr/bin/node rix,',
      '/app/{,**} r,',
      '/data/** rw,',
      '/etc/ssl/{,**} r,',
      'network inet stream,',
      '#include <abstractions/base>',
      '#include <abstractions/nameservice>',
    ]) {
      expect(rules, rule).toContain(rule);
    }
  });

  test('grants no broad access', () => {
    for (const rule of rules) {
      expect(rule, rule).not.toMatch(/^(file|capability|network|mount|umount|ptrace|dbus),$/);
      expect(rule, rule).not.toMatch(/^\/\*\*\s/);
      expect(rule, rule).not.toMatch(
        /^capability (sys_admin|sys_module|net_admin|net_raw|sys_ptrace|sys_rawio|dac_read_search)/,
      );
    }
    expect(rules).toContain('deny /app/** w,');
  });
});

test('the security rating the Supervisor computes is the highest, 8', () => {
  // supervisor/apps/utils.py rating_security: 5, +1 for an own AppArmor
  // profile (-1 for apparmor: false), +2 for ingress, -1/-2 for manager/admin
  // Supervisor roles, -1 host network, -2 host PID, 1 for Docker API or full
  // access; capped to 1..8.
  let rating = 5;
  if (config.apparmor === false) rating -= 1;
  else if (existsSync(new URL('../../apparmor.txt', import.meta.url))) rating += 1;
  if (config.ingress) rating += 2;
  else if (config.auth_api) rating += 1;
  if (config.hassio_role === 'manager') rating -= 1;
  if (config.hassio_role === 'admin') rating -= 2;
  if (config.host_network) rating -= 1;
  if (config.host_pid) rating -= 2;
  if (config.docker_api || config.full_access) rating = 1;

  expect(Math.max(1, Math.min(8, rating))).toBe(8);
});
