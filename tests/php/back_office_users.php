<?php
// A merchant admin portal's back office (legacy-clients.md §5): it creates a staff user with a role and
// campaigns, reads its permissions to show or hide buttons, limits it, manages customer and transaction
// fields the way the portal does (API=1.5, next custom_field_N), edits the account, then removes the user.
require __DIR__ . '/lib.php';

$xml = api_ok('campaign_new', array('action' => 'campaign', 'campaign_type' => 'points', 'campaign_name' => 'Shop Points'));
$shop = (string)$xml->campaign->id;
$xml = api_ok('campaign_new', array('action' => 'campaign', 'campaign_type' => 'events', 'campaign_name' => 'Visits'));
$visits = (string)$xml->campaign->id;
step('two campaigns');

api_ok('user_new', array('user_name' => 'anna', 'user_new_password' => 'Anna-pass-1', 'user_first_name' => 'Anna',
    'user_last_name' => 'Berg', 'user_PIN' => '4321', 'user_role' => 'K', 'allowed_campaigns' => $shop,
    'language_selector' => 'EN', 'timezone_selector' => '14'));
check(strpos(api_error('user_new', array('user_name' => 'anna', 'user_new_password' => 'x2-other-pass', 'user_role' => 'K')), 'anna') !== false,
    'a second anna is refused by name');
step('user_new');

$xml = api_ok('users_list', array('API' => '1.5', 'user_api_key' => settings()['key']));
$roles = array();
foreach ($xml->users->user as $u) {
    $roles[(string)$u->user_id] = (string)$u->user_role;
}
check(isset($roles['anna']) && $roles['anna'] == 'K', 'users_list shows anna as a clerk: ' . json_encode($roles));
step('users_list');

$xml = api_ok('user_info', array('user_name' => 'anna'));
check((string)$xml->user->user_level == 'K', 'user_info level K');
check((string)$xml->user->user_first_name == 'Anna', 'user_info first name');
check((string)$xml->user->user_permissions->add_customer == 'Yes', 'a clerk adds customers');
check((string)$xml->user->user_permissions->add_campaign == 'No', 'a clerk does not add campaigns');
step('user_info permissions');

api_ok('user_update', array('user_name' => 'anna', 'add_customer' => 'No', 'user_last_name' => 'Berg-Lund'));
$xml = api_ok('user_info', array('user_name' => 'anna'));
check((string)$xml->user->user_permissions->add_customer == 'No', 'add_customer turned off');
check((string)$xml->user->user_last_name == 'Berg-Lund', 'last name changed');
step('user_update flag');

api_ok('campaign_users', array('action' => 'add', 'API' => '1.6', 'user_name' => 'anna', 'campaign_id' => $visits));
api_ok('campaign_users', array('action' => 'remove', 'API' => '1.6', 'user_name' => 'anna', 'campaign_id' => $shop));
step('campaign_users add and remove');

// The portal adds a field after the highest custom_field_N it lists.
$xml = api_ok('manage_fields', array('action' => 'list', 'API' => '1.5', 'user_api_key' => settings()['key']));
$highest = 1;
foreach ($xml->account->fields->field as $f) {
    if (preg_match('/^custom_field_(\d+)$/', (string)$f->name, $m)) {
        $highest = max($highest, (int)$m[1]);
    }
}
$next = 'custom_field_' . ($highest + 1);
api_ok('manage_fields', array('action' => 'add', 'API' => '1.5', $next . '_label' => 'Marital Status',
    $next . '_show' => 'Y', $next . '_type' => 'List', $next . '_unique' => 'N', $next . '_choices' => 'Single, Married, Other'));
$xml = api_ok('manage_fields', array('action' => 'list', 'API' => '1.5'));
$found = null;
foreach ($xml->account->fields->field as $f) {
    if ((string)$f->name == $next) {
        $found = $f;
    }
}
check($found !== null && (string)$found->label == 'Marital Status', "$next listed");
$choices = array();
foreach ($found->choices->choice as $c) {
    $choices[] = (string)$c;
}
check($choices == array('Single', 'Married', 'Other'), 'choices listed: ' . json_encode($choices));
step("manage_fields add $next");

$error = api_error('record_customer', array('customer_action' => 'new', 'code' => 'BO1', $next => 'Divorced'));
check(strpos($error, $next) !== false || strpos($error, 'Marital Status') !== false, "a value out of the choices is refused: $error");
api_ok('record_customer', array('customer_action' => 'new', 'code' => 'BO1', $next => 'Married'));
step('field value checked');

api_ok('transaction_fields', array('action' => 'add', 'API' => '1.5', 'custom_field_1_label' => 'Store',
    'custom_field_1_type' => 'Text', 'custom_field_1_show' => 'Y'));
$xml = api_ok('transaction_fields', array('action' => 'list', 'API' => '1.5'));
check((string)$xml->account->fields->field->name == 'custom_field_1', 'transaction field listed');
step('transaction_fields add');

api_ok('manage_fields', array('action' => 'delete', 'API' => '1.5', 'field_list' => $next));
$xml = api_ok('manage_fields', array('action' => 'list', 'API' => '1.5'));
foreach ($xml->account->fields->field as $f) {
    check((string)$f->name != $next, "$next deleted");
}
step('manage_fields delete');

$xml = api_ok('account_info');
check((string)$xml->account->account_id == settings()['account_id'], 'account_info names the account');
api_ok('account_update', array('biz_name' => 'Great Widgets Ltd', 'biz_city' => 'Auckland', 'contact_email' => 'boss@example.com',
    'client_email' => 'boss@example.com', 'language_selector' => 'EN', 'symbol_selector' => 'EUR', 'timezone_selector' => '68'));
$xml = api_ok('account_info');
check((string)$xml->account->biz_name == 'Great Widgets Ltd', 'business name changed');
check((string)$xml->account->symbol == 'EUR', 'currency symbol changed');
check((string)$xml->account->glyph != '$', 'the glyph follows the symbol');
step('account_info and account_update');

api_ok('user_delete', array('user_name' => 'anna'));
$xml = api_ok('users_list', array('API' => '1.5', 'user_api_key' => settings()['key']));
foreach ($xml->users->user as $u) {
    check((string)$u->user_id != 'anna', 'anna deleted');
}
step('user_delete');
echo "ALL OK\n";
