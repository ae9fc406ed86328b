<?php
// A customer portal kit (legacy-clients.md §5-6): staff log in with their own password (user_login, no
// account_id) and use the key it answers for the session; a customer registers with the portal's quirks
// (custom_date=0000-00-00, custom1), logs in with its password, and sees its balance, also through a
// short-lived token the portal hands to a widget.
require __DIR__ . '/lib.php';

$xml = api_ok('campaign_new', array('action' => 'campaign', 'campaign_type' => 'points', 'campaign_name' => 'Portal Points'));
$campaign_id = (string)$xml->campaign->id;
api_ok('user_new', array('user_name' => 'desk', 'user_new_password' => 'Desk-pass-22', 'user_role' => 'K', 'allowed_campaigns' => 'all'));
step('back office made a desk user');

$login = api_bare(array('type' => 'user_login', 'user_id' => 'desk', 'user_password' => 'Desk-pass-22'));
check((string)$login['status'] == 'success', 'user_login succeeds: ' . $login->asXML());
check((string)$login->account->user_id == 'desk', 'user_login names the user');
check((string)$login->account->account_id == settings()['account_id'], 'user_login names the account');
$key = (string)$login->account->user_api_key;
check(strlen($key) >= 16, 'user_login hands out a key');
$wrong = api_bare(array('type' => 'user_login', 'user_id' => 'desk', 'user_password' => 'not-it'));
check((string)$wrong['status'] == 'error', 'a wrong password is refused');
step('user_login');

as_user('desk', $key);
$xml = api_ok('record_customer', array('customer_action' => 'register', 'code' => 'P100', 'first_name' => 'Pia',
    'email' => 'pia@example.com', 'customer_username' => 'pia', 'customer_password' => 'pia-secret-9',
    'custom_date' => '0000-00-00', 'custom1' => 'Likes tea', 'campaign_id' => $campaign_id));
check((string)$xml->customer->code == 'P100', 'registered P100');
$xml = api_ok('customer_info', array('code' => 'P100'));
check((string)$xml->customer->custom_field == 'Likes tea', 'custom1 lands in custom field 1');
check((string)$xml->customer->custom_date == '', 'the zero date means no date');
step('record_customer register');

api_ok('validate_customer_password', array('customer_username' => 'pia', 'customer_password' => 'pia-secret-9'));
api_error('validate_customer_password', array('customer_username' => 'pia', 'customer_password' => 'wrong'));
step('validate_customer_password');

api_ok('record_activity', array('campaign_id' => $campaign_id, 'code' => 'P100', 'amount' => '42'));
$xml = api_ok('customer_balance', array('campaign_id' => $campaign_id, 'code' => 'P100'));
$balance = (string)$xml->campaign->customer->balance;
check($balance !== '' && $balance != '0', "balance after a purchase: $balance");
step('customer_balance');

$xml = api_ok('generate_time_token', array('API' => '1.5', 'user_api_key' => $key, 'code' => 'P100',
    'campaign_id' => $campaign_id, 'token_interval' => '120'));
$token = (string)$xml->token;
check(strlen($token) >= 16, 'a token');
$xml = api_ok('validate_time_token', array('API' => '1.5', 'user_api_key' => $key, 'token' => $token));
step('generate_time_token and validate_time_token');

// The widget's request: account and token only, no user and no key.
$xml = api_bare(array('type' => 'customer_balance', 'account_id' => settings()['account_id'], 'token' => $token,
    'campaign_id' => $campaign_id, 'code' => 'P100'));
check((string)$xml['status'] == 'success', 'the token reads the balance: ' . $xml->asXML());
check((string)$xml->campaign->customer->balance == $balance, 'the same balance through the token');
$xml = api_bare(array('type' => 'record_activity', 'account_id' => settings()['account_id'], 'token' => $token,
    'campaign_id' => $campaign_id, 'code' => 'P100', 'amount' => '5'));
check((string)$xml['status'] == 'error', 'a token cannot record');
step('token balance');
echo "ALL OK\n";
