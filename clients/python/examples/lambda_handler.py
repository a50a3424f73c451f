"""A voice-skill backend as an AWS Lambda: an intent becomes a Home Assistant service call.

The token comes from the SSM parameter the HA Token Manager add-on publishes
and rotates. The client is created at module level, so warm invocations reuse
its cache; a rotated or revoked token costs one 401 and one re-read, never an
outage.

Environment: HA_URL, HA_TOKEN_PARAMETER (e.g. /home-assistant/token), and the
usual AWS ones (AWS_REGION; AWS_ENDPOINT_URL_SSM to point at an emulator).
Run it locally against the demo's Home Assistant and moto (`DEMO_CONSUMER=python
npm run demo` does this): `python examples/lambda_handler.py` invokes the handler
once a second.
"""

import json
import os
import time

from ha_token_client import TokenClient, TokenClientError

ha = TokenClient(
    os.environ["HA_TOKEN_PARAMETER"],
    ha_url=os.environ["HA_URL"],
    ttl=float(os.environ.get("HA_TOKEN_TTL", "300")),
)


def handler(event, context):
    """An intent such as {"domain": "light", "service": "turn_on", "data": {...}}."""
    domain, service = event.get("domain", "persistent_notification"), event.get("service", "create")
    try:
        response = ha.request("POST", f"/api/services/{domain}/{service}", json=event.get("data", {}))
    except TokenClientError as error:  # names the parameter and the fix, never the token
        return {"statusCode": 503, "body": str(error)}
    return {"statusCode": response.status, "body": response.text}


if __name__ == "__main__":
    while True:
        intent = {
            "data": {
                # One notification, updated in place: the same id replaces it.
                "notification_id": "voice-skill-example",
                "title": "Voice skill",
                "message": f"Kitchen light on ({time.strftime('%H:%M:%S')})",
            }
        }
        result = handler(intent, None)
        print(json.dumps({"status": result["statusCode"], "token": ha.describe()}, ensure_ascii=False), flush=True)
        time.sleep(float(os.environ.get("EXAMPLE_INTERVAL", "1")))
