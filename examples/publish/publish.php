<?php
// Publish one event to a Herald hub from PHP (php-cli, no extension beyond the standard ones).
// Usage: HERALD_TOKEN=... php publish.php <topic> <data>     (HERALD_URL: http://127.0.0.1:8080)
// Prints the new event's id. The token is a publisher token (herald serve prints one, or
// herald token --publish 'TOPIC' mints one); this script mints nothing.

$token = getenv('HERALD_TOKEN');
$base = getenv('HERALD_URL') ?: 'http://127.0.0.1:8080';
if ($argc !== 3) {
    fwrite(STDERR, "usage: php publish.php <topic> <data>\n");
    exit(2);
}
if ($token === false || $token === '') {
    fwrite(STDERR, "set HERALD_TOKEN to a publisher token (herald serve prints one)\n");
    exit(2);
}

$context = stream_context_create(['http' => [
    'method' => 'POST',
    'header' => "Content-Type: application/x-www-form-urlencoded\r\nAuthorization: Bearer $token\r\n",
    'content' => http_build_query(['topic' => $argv[1], 'data' => $argv[2]]),
    'timeout' => 10,
    'ignore_errors' => true, // read the hub's reason on 4xx/5xx instead of a PHP warning
]]);
$body = @file_get_contents(rtrim($base, '/') . '/publish', false, $context);
if ($body === false) {
    fwrite(STDERR, "cannot reach the hub at $base\n");
    exit(1);
}
// The http:// wrapper's response headers; the first line is the status line.
$headers = function_exists('http_get_last_response_headers') ? http_get_last_response_headers() : $http_response_header;
$status = (int) explode(' ', $headers[0] ?? 'HTTP/1.1 0')[1];
if ($status !== 200) {
    fwrite(STDERR, "publish refused ($status): " . trim($body) . "\n");
    exit(1);
}
echo trim($body), "\n";
