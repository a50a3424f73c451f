"""Reading the parameter: boto3's GetParameter, or the Lambda extension's local endpoint."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from typing import Any, Mapping, NamedTuple, Optional, Union

from .errors import AccessDeniedError, ParameterNotFoundError, SsmReadError, TokenClientError
from .secret import _Secret


class ParameterValue(NamedTuple):
    value: _Secret
    version: Optional[int]


def read_via_sdk(client: Any, parameter: str, region: Optional[str]) -> ParameterValue:
    """GetParameter with decryption; botocore errors become errors that say what to fix."""
    try:
        output = client.get_parameter(Name=parameter, WithDecryption=True)
    except Exception as error:  # botocore raises ClientError and transport errors alike
        raise translate(error, parameter, region) from error
    found = output.get("Parameter") or {}
    value = found.get("Value")
    if not value:
        raise SsmReadError(f"SSM parameter {parameter} is empty.", parameter)
    return ParameterValue(_Secret(value), found.get("Version"))


def read_via_extension(
    port: int, parameter: str, session_token: Optional[str], timeout: float = 2.0
) -> ParameterValue:
    """The AWS Parameters and Secrets Lambda Extension, authenticated by the session token.

    docs.aws.amazon.com/systems-manager/latest/userguide/ps-integration-lambda-extensions.html
    """
    query = urllib.parse.urlencode({"name": parameter, "withDecryption": "true"})
    request = urllib.request.Request(
        f"http://localhost:{port}/systemsmanager/parameters/get?{query}",
        headers={"X-Aws-Parameters-Secrets-Token": session_token or ""},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (loopback)
        body = json.loads(response.read())
    value = (body.get("Parameter") or {}).get("Value")
    if not value:
        raise ValueError("the Parameters and Secrets extension returned no value")
    return ParameterValue(_Secret(value), (body.get("Parameter") or {}).get("Version"))


def _arn(parameter: str, region: Optional[str]) -> str:
    if parameter.startswith("arn:"):
        return parameter
    path = parameter if parameter.startswith("/") else f"/{parameter}"
    return f"arn:aws:ssm:{region or '<region>'}:<account-id>:parameter{path}"


def translate(error: Exception, parameter: str, region: Optional[str]) -> TokenClientError:
    response = getattr(error, "response", None) or {}
    code = str((response.get("Error") or {}).get("Code") or type(error).__name__)
    message = str((response.get("Error") or {}).get("Message") or error)
    if code == "ParameterNotFound":
        where = f" in {region}" if region else ""
        return ParameterNotFoundError(
            f"SSM parameter {parameter} was not found{where}. The HA Token Manager add-on creates "
            "it when it first publishes a token: check that the consumer's name and region match "
            "the add-on's ssm_parameter and aws_region, and that the add-on has published (its "
            "status page shows the version).",
            parameter,
        )
    if code.startswith("KMS") or code == "InvalidKeyId" or (
        code == "AccessDeniedException" and re.search(r"kms:", message, re.I)
    ):
        key_match = re.search(r"(arn:aws[^\s]*:kms:[^\s]+)", message)
        key = key_match.group(1) if key_match else "the parameter's KMS key"
        return AccessDeniedError(
            f"SSM parameter {parameter} could not be decrypted ({code}). Allow kms:Decrypt on "
            f"{key} for this consumer's AWS identity, with the condition "
            f"kms:EncryptionContext:PARAMETER_ARN = {_arn(parameter, region)}.",
            parameter,
        )
    if code == "AccessDeniedException":
        resource_match = re.search(r"on resource:? (arn:[^\s]+)", message, re.I)
        resource = resource_match.group(1) if resource_match else _arn(parameter, region)
        return AccessDeniedError(
            f"Access denied reading SSM parameter {parameter}. Allow ssm:GetParameter on "
            f"{resource} for this consumer's AWS identity, and kms:Decrypt on the key that "
            "encrypts it.",
            parameter,
        )
    return SsmReadError(f"Could not read SSM parameter {parameter} ({code}: {message}).", parameter)


def extension_port(setting: Union[str, bool, int], env: Mapping[str, str]) -> Optional[int]:
    if setting is False:
        return None
    if setting is not True and isinstance(setting, int):
        return setting
    port = env.get("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT")
    if port:
        return int(port)
    if setting is True or env.get("AWS_LAMBDA_RUNTIME_API"):
        return 2773
    return None
