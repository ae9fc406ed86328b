<?php
// What the legacy PHP integrations do: post an ARRAY with curl (so multipart/form-data), then read the
// answer with simplexml_load_string and no pre-pass. Settings come from the environment.

$GLOBALS['rg_user'] = array(getenv('RG_USER'), getenv('RG_KEY'));

function settings() {
    return array(
        'url' => getenv('RG_URL'),
        'user_id' => $GLOBALS['rg_user'][0],
        'key' => $GLOBALS['rg_user'][1],
        'account_id' => getenv('RG_ACCOUNT'),
    );
}

// Make the following calls as another user of the account (a till's cashier, the back office).
function as_user($user_id, $key) {
    $GLOBALS['rg_user'] = array($user_id, $key);
}

function post_raw($data, $headers = array()) {
    $s = settings();
    $ch = curl_init($s['url']);
    curl_setopt($ch, CURLOPT_POST, 1);
    curl_setopt($ch, CURLOPT_POSTFIELDS, $data);  // an array: curl sends multipart/form-data
    curl_setopt($ch, CURLOPT_RETURNTRANSFER, 1);
    curl_setopt($ch, CURLOPT_HTTPHEADER, $headers);
    curl_setopt($ch, CURLOPT_TIMEOUT, 30);
    $body = curl_exec($ch);
    if ($body === false) {
        fail('curl: ' . curl_error($ch));
    }
    $info = curl_getinfo($ch);
    curl_close($ch);
    return array($info['http_code'], $info['content_type'], $body);
}

// One call as the integrations make it: credentials in the body, XML back.
function api($type, $fields = array()) {
    $s = settings();
    $data = array_merge(array(
        'user_id' => $s['user_id'],
        'user_password' => $s['key'],
        'account_id' => $s['account_id'],
        'type' => $type,
    ), $fields);
    list($code, $ctype, $body) = post_raw($data);
    check($code == 200, "$type answers HTTP 200 (got $code)");
    check(strpos($ctype, 'text/xml') === 0, "$type answers XML (got $ctype)");
    $xml = simplexml_load_string($body);
    check($xml !== false, "$type answer is well-formed XML: " . substr($body, 0, 300));
    return $xml;
}

// A call with exactly these fields and no default credentials (user_login sends no account_id).
function api_bare($fields) {
    list($code, $ctype, $body) = post_raw($fields);
    check($code == 200, "{$fields['type']} answers HTTP 200 (got $code)");
    $xml = simplexml_load_string($body);
    check($xml !== false, "{$fields['type']} answer is well-formed XML: " . substr($body, 0, 300));
    return $xml;
}

function api_ok($type, $fields = array()) {
    $xml = api($type, $fields);
    check((string)$xml['status'] == 'success', "$type succeeds: " . $xml->asXML());
    return $xml;
}

function api_error($type, $fields = array()) {
    $xml = api($type, $fields);
    check((string)$xml['status'] == 'error', "$type fails: " . $xml->asXML());
    return (string)$xml->error;
}

function check($condition, $what) {
    if (!$condition) {
        fail($what);
    }
}

function fail($what) {
    fwrite(STDERR, "FAIL: $what\n");
    exit(1);
}

function step($what) {
    echo "OK $what\n";
}
