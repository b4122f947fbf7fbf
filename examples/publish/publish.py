#!/usr/bin/env python3
"""Publish one event to a Herald hub from Python (standard library only).

Usage: HERALD_TOKEN=... python3 publish.py <topic> <data>     (HERALD_URL: http://127.0.0.1:8080)
Prints the new event's id. The token is a publisher token (herald serve prints one, or
herald token --publish 'TOPIC' mints one); this script mints nothing. The body is JSON here;
the form encoding works as well (see publish.sh).
"""

import json
import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    token = os.environ.get("HERALD_TOKEN", "")
    base = os.environ.get("HERALD_URL") or "http://127.0.0.1:8080"
    if len(sys.argv) != 3:
        print("usage: python3 publish.py <topic> <data>", file=sys.stderr)
        return 2
    if not token:
        print("set HERALD_TOKEN to a publisher token (herald serve prints one)", file=sys.stderr)
        return 2
    request = urllib.request.Request(
        base.rstrip("/") + "/publish",
        data=json.dumps({"topic": sys.argv[1], "data": sys.argv[2]}).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + token},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            print(response.read().decode().strip())
            return 0
    except urllib.error.HTTPError as error:  # 4xx/5xx: the body is the hub's one-line reason
        print(f"publish refused ({error.code}): {error.read().decode().strip()}", file=sys.stderr)
    except (urllib.error.URLError, OSError) as error:
        print(f"cannot reach the hub at {base}: {getattr(error, 'reason', error)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
