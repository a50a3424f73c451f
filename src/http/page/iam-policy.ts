// The IAM policy the page offers to copy: exactly the calls the add-on makes
// with the configured options, the same statements as DOCS.md ("IAM
// policies"). A name becomes an ARN with the region and an account
// placeholder (the add-on cannot know the account without calling STS); an
// ARN is used as given.

const SSM_ARN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/.+$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/;
const ACCOUNT = '<your-account-id>';

export interface PolicyInput {
  region: string;
  /** The add-on's own parameter (token_source `ssm`): read, and written by rotation (Rotate now). */
  parameter?: string;
  /** The consumers' parameters (src/consumers/parameters.ts). */
  consumers: readonly string[];
  /** ssm_kms_key_id: new versions are encrypted with it, and no DescribeParameters is needed. */
  kmsKeyId?: string;
}

/** The policy as pretty JSON, or undefined when nothing uses SSM. */
export function iamPolicy(i: PolicyInput): string | undefined {
  const statements: Record<string, unknown>[] = [];
  const arns = [
    ...(i.parameter === undefined ? [] : [parameterArn(i.parameter, i.region)]),
    ...i.consumers.map((p) => parameterArn(p, i.region)),
  ];
  if (i.parameter !== undefined) {
    // The source reads it (GetParameter); rotation, offered whenever the source
    // is SSM, writes it (PutParameter, ssm-source.ts).
    statements.push({
      Sid: 'ReadAndReplaceTheHomeAssistantToken',
      Effect: 'Allow',
      Action: ['ssm:GetParameter', 'ssm:PutParameter'],
      Resource: parameterArn(i.parameter, i.region),
    });
  }
  if (i.consumers.length > 0) {
    // parameters.ts: GetParameters in batches, GetParameter before a rotation,
    // PutParameter to publish, AddTagsToResource to mark one as the add-on's.
    statements.push({
      Sid: 'ManageConsumerTokens',
      Effect: 'Allow',
      Action: [
        'ssm:GetParameter',
        'ssm:GetParameters',
        'ssm:PutParameter',
        'ssm:AddTagsToResource',
      ],
      Resource: i.consumers.map((p) => parameterArn(p, i.region)),
    });
  }
  if (statements.length === 0) return undefined;
  if (i.kmsKeyId === undefined) {
    // A new version keeps the parameter's key: DescribeParameters finds it, and
    // AWS allows it only on "*" (names and metadata, never values).
    statements.push({
      Sid: 'FindTheParametersKey',
      Effect: 'Allow',
      Action: 'ssm:DescribeParameters',
      Resource: '*',
    });
  } else {
    // Parameter Store decrypts on reads and encrypts on writes (kms:Encrypt for
    // a standard parameter, kms:GenerateDataKey for an advanced one), passing
    // the parameter's ARN as the encryption context: the key serves these only.
    statements.push({
      Sid: 'UseTheParametersKey',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      Resource: keyArn(i.kmsKeyId, i.region),
      Condition: {
        StringEquals: { 'kms:EncryptionContext:PARAMETER_ARN': arns.length === 1 ? arns[0] : arns },
      },
    });
  }
  return JSON.stringify({ Version: '2012-10-17', Statement: statements }, null, 2);
}

function parameterArn(parameter: string, region: string): string {
  if (SSM_ARN.test(parameter)) return parameter;
  const name = parameter.startsWith('/') ? parameter : `/${parameter}`;
  return `arn:aws:ssm:${region}:${ACCOUNT}:parameter${name}`;
}

/** IAM takes the key's ARN; an alias in `Resource` matches nothing, so it becomes a placeholder. */
function keyArn(keyId: string, region: string): string {
  if (KMS_KEY_ARN.test(keyId)) return keyId;
  const alias = /^(?:arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:)?(alias\/.+)$/.exec(keyId)?.[1];
  const id = alias ? `<the key id behind ${alias}>` : keyId;
  return `arn:aws:kms:${region}:${ACCOUNT}:key/${id}`;
}
