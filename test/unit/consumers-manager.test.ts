import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BusEventDiff } from '../../src/alerts/bus-events.js';
import { credentialView } from '../../src/alerts/credential-view.js';
import { ConsumerManager } from '../../src/consumers/manager.js';
import type { ParameterStore } from '../../src/consumers/parameters.js';
import { translate } from '../../src/credentials/ssm-errors.js';
import type { HaConnection } from '../../src/ha/connection.js';
import type { ConsumerConfig } from '../../src/options.js';
import type { Holder } from '../../src/rotation/holders.js';
import { StatusModel } from '../../src/status/status-model.js';
import { FakeClock, memoryLogger } from '../support/fakes.js';

// The consumer manager's page actions against remembered consumers, with a
// connection that records what it is asked to delete.

const X = 'shared-refresh-token-id';

async function manager(
  consumers: ConsumerConfig[],
  remembered: Record<string, unknown>,
  addonInUse?: string,
  store: Partial<ParameterStore> = {},
  refreshTokens: () => Promise<unknown> = async () => [],
) {
  const dataDir = await mkdtemp(join(tmpdir(), 'htm-manager-'));
  await writeFile(
    join(dataDir, 'consumers.json'),
    JSON.stringify({ version: 1, consumers: remembered }),
  );
  const deleted: string[] = [];
  const conn = {
    sendMessagePromise: async (m: { type: string; refresh_token_id?: string }) => {
      if (m.type === 'auth/delete_refresh_token') deleted.push(m.refresh_token_id ?? '');
      if (m.type === 'auth/refresh_tokens') return refreshTokens();
      return null;
    },
  };
  // Not connected during start(): it makes no refresh; connected for the action.
  const connection: { connection: unknown } = { connection: undefined };
  const clock = new FakeClock();
  const status = new StatusModel(clock);
  let self: ConsumerManager | undefined;
  const m = new ConsumerManager({
    consumers,
    unusedAlertDays: 30,
    graceMinutes: 60,
    store: store as ParameterStore,
    rotator: {
      rotate: async () => ({ ok: false, message: 'not in this test' }),
      records: [],
      waitingFor: () => undefined,
      isRunning: () => false,
      holders: (): Holder[] => [
        ...(addonInUse
          ? [{ credential: 'addon', label: "the add-on's connection", refreshTokenId: addonInUse }]
          : []),
        ...(self?.holders() ?? []),
      ],
    },
    connection: connection as unknown as Pick<HaConnection, 'connection'>,
    check: async () => undefined,
    dataDir,
    status,
    log: memoryLogger().log,
    clock,
    checkEveryMs: 3_600_000,
  });
  self = m;
  await m.start();
  m.stop();
  connection.connection = conn;
  return { m, deleted, status };
}

const entry = (parameter: string, refreshTokenId: string) => ({
  parameter,
  refreshTokenId,
  masked: '••••XXXX',
  addresses: [],
  revoked: [],
});

describe('Revoke on a consumer no longer configured', () => {
  test('refused while a configured consumer (renamed, same parameter) holds the same token', async () => {
    const renamed: ConsumerConfig = {
      name: 'alexa-skill',
      parameter: '/c/alexa',
      lifespanDays: 365,
      graceMinutes: 60,
    };
    const { m, deleted } = await manager([renamed], {
      alexa: entry('/c/alexa', X),
      'alexa-skill': entry('/c/alexa', X),
    });
    const outcome = await m.revoke('alexa');
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toContain('consumer alexa-skill');
    expect(deleted).toEqual([]);
  });

  test("refused while the add-on's connection uses the same token", async () => {
    const { m, deleted } = await manager([], { alexa: entry('/c/alexa', X) }, X);
    const outcome = await m.revoke('alexa');
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toContain("the add-on's connection");
    expect(deleted).toEqual([]);
  });
});

describe('every consumer removed from the options', () => {
  test('the remembered ones stay listed, and Revoke still revokes their token', async () => {
    const { m, deleted, status } = await manager([], { nas: entry('/c/nas', X) });
    expect(status.snapshot().consumers).toMatchObject([
      { name: 'nas', configured: false, state: 'not configured' },
    ]);
    expect(await m.revoke('nas')).toMatchObject({ ok: true });
    expect(deleted).toEqual([X]);
  });
});

describe('Revoke pressed by a person', () => {
  test("sends ha_token_manager_revoked on Home Assistant's bus with the masked token", async () => {
    const { m, status } = await manager([], { nas: entry('/c/nas', X) });
    const diff = new BusEventDiff(status.snapshot());
    expect(await m.revoke('nas')).toMatchObject({ ok: true });
    expect(diff.next(status.snapshot())).toEqual([
      {
        type: 'ha_token_manager_revoked',
        data: { credential: 'consumer:nas', name: 'nas', token: '••••XXXX' },
      },
    ]);
  });
});

describe('a refresh that cannot check the consumers', () => {
  const alexa: ConsumerConfig = {
    name: 'alexa',
    parameter: '/c/alexa',
    lifespanDays: 90,
    graceMinutes: 60,
  };

  test('SSM denies GetParameters: failing in translated words naming GetParameters, no AWS account or IAM user', async () => {
    const denied = Object.assign(
      new Error(
        'User: arn:aws:iam::123456789012:user/ha-token-manager is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:eu-west-1:123456789012:parameter/c/alexa because no identity-based policy allows the ssm:GetParameters action',
      ),
      { name: 'AccessDeniedException' },
    );
    const { m, status } = await manager([alexa], {}, undefined, {
      readAll: async () => {
        throw translate(denied, '/c/alexa', 'eu-west-1', 'read-many');
      },
    });
    await m.refresh();
    const [info] = status.snapshot().consumers;
    expect(info).toMatchObject({ state: 'failing', sourceFailing: true });
    expect(info?.reason).toContain('Allow ssm:GetParameters on');
    expect(info?.reason).not.toContain('arn:aws:iam');
    expect(info?.reason).not.toContain('is not authorized');
    const [problem] =
      credentialView(status.snapshot(), {
        now: 0,
        unreadableAfterMs: 0,
        expiryWarningMs: 0,
        unsettledAfterMs: 0,
      })[1]?.problems ?? [];
    expect(problem?.kind).toBe('unreadable');
    expect(problem?.message).not.toContain('arn:aws:iam');
  });

  test('Home Assistant does not answer the token list: unknown, not a source failure', async () => {
    const { m, status } = await manager(
      [alexa],
      {},
      undefined,
      {
        readAll: async () => new Map([['/c/alexa', 'missing' as const]]),
      },
      async () => {
        throw new Error('Connection lost');
      },
    );
    await m.refresh();
    expect(status.snapshot().consumers[0]).toMatchObject({ state: 'unknown' });
    expect(status.snapshot().consumers[0]?.sourceFailing).toBeUndefined();
  });
});
