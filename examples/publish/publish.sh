#!/bin/sh
# Publish one event to a Herald hub with curl.
# Usage: HERALD_TOKEN=... sh publish.sh <topic> <data>     (HERALD_URL: http://127.0.0.1:8080)
# Prints the new event's id. The token is a publisher token (herald serve prints one, or
# herald token --publish 'TOPIC' mints one); this script mints nothing.
set -eu

if [ "$#" -ne 2 ]; then
  echo "usage: sh publish.sh <topic> <data>" >&2
  exit 2
fi
if [ -z "${HERALD_TOKEN:-}" ]; then
  echo "set HERALD_TOKEN to a publisher token (herald serve prints one)" >&2
  exit 2
fi
url="${HERALD_URL:-http://127.0.0.1:8080}"

# --data-urlencode keeps any character of the topic and data intact; the hub answers the id as
# text/plain, or a one-line reason with a 4xx/5xx status (-w appends the status on a line of its own).
answer=$(curl -s --max-time 10 -w '\n%{http_code}' \
  -H "Authorization: Bearer $HERALD_TOKEN" \
  --data-urlencode "topic=$1" --data-urlencode "data=$2" \
  "${url%/}/publish") || { rc=$?; echo "cannot reach the hub at $url (curl exit code $rc)" >&2; exit 1; }
status=$(printf '%s\n' "$answer" | tail -n 1)
body=$(printf '%s\n' "$answer" | sed '$d')
if [ "$status" != 200 ]; then
  echo "publish refused ($status): $body" >&2
  exit 1
fi
printf '%s\n' "$body"
