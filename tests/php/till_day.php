<?php
// A shop's day: the back office sets a points campaign up, then the till (a staff user) enrols a
// customer, records purchases (one with a promotion), shows the balance, redeems a reward, is refused an
// over-redeem, shows the history, and the back office pulls the day's transactions report.
require __DIR__ . '/lib.php';

$manager = array(getenv('RG_MANAGER_USER'), getenv('RG_MANAGER_KEY'));
$till = array(getenv('RG_USER'), getenv('RG_KEY'));

as_user($manager[0], $manager[1]);
$xml = api_ok('campaign_new', array('action' => 'campaign', 'campaign_type' => 'points',
    'campaign_name' => 'Widget Points', 'points_ratio' => '10'));
$campaign_id = (string)$xml->campaign->id;
$xml = api_ok('campaign_new', array('action' => 'reward', 'campaign_id' => $campaign_id,
    'reward_level' => '300', 'reward_description' => 'Free Widget'));
$reward_id = (string)$xml->campaign->reward->id;
$xml = api_ok('campaign_new', array('action' => 'promo', 'campaign_id' => $campaign_id,
    'promo_operation' => 'x', 'promo_amount' => '2', 'promo_description' => 'Double points'));
$promo_id = (string)$xml->campaign->promo->id;
check(ctype_digit($reward_id) && ctype_digit($promo_id), "reward $reward_id and promo $promo_id have ids");
step("set up campaign $campaign_id");

as_user($till[0], $till[1]);
check(api_error('campaign_new', array('action' => 'campaign', 'campaign_type' => 'points', 'campaign_name' => 'x'))
    == 'Permission denied: this call needs the add_campaign permission', 'the till cannot create campaigns');

$xml = api_ok('record_customer', array('customer_action' => 'new', 'card_number' => '4000123412341234',
    'first_name' => "Zo\xc3\xab", 'last_name' => "O'Brien", 'email' => 'zoe@example.com', 'campaign_id' => $campaign_id));
$code = (string)$xml->customer->code;
check($code !== '', 'new customer has a code');
check((string)$xml->customer->card_number == '4000123412341234', 'card number kept');
step("record_customer new $code");

$xml = api_ok('record_activity', array('campaign_id' => $campaign_id, 'code' => $code, 'amount' => '12,50',
    'authorization' => 'Till 3', 'custom_field_1' => 'Store 35'));
check((string)$xml->receipt->balance == '125', 'purchase of 12,50 at 10 points per unit: ' . $xml->asXML());
check((string)$xml->receipt->agency->name == 'Great Widgets', 'receipt names the merchant');
step('record_activity');

$xml = api_ok('record_activity', array('campaign_id' => $campaign_id, 'card_number' => '4000123412341234',
    'amount' => '12.50', 'promo_id' => $promo_id));
check((string)$xml->receipt->balance == '375', 'double points with the promo: ' . $xml->asXML());
step('record_activity with promo_id');

$xml = api_ok('customer_balance', array('campaign_id' => $campaign_id, 'code' => $code));
check((string)$xml->campaign->campaign_type == 'points', 'balance names the campaign type');
check((string)$xml->campaign->customer->balance == '375', 'balance 375: ' . $xml->asXML());
check(count($xml->campaign->customer->transactions->transaction) == 2, 'two transactions so far');
step('customer_balance');

$xml = api_ok('redeem', array('campaign_id' => $campaign_id, 'code' => $code, 'reward_to_redeem' => $reward_id));
check((string)$xml->receipt->balance == '75', 'redeeming the 300-point reward leaves 75: ' . $xml->asXML());
step('redeem');

$error = api_error('redeem', array('campaign_id' => $campaign_id, 'code' => $code, 'reward_to_redeem' => $reward_id));
check(strpos($error, 'Insufficient balance') === 0 && strpos($error, '75 available') !== false, "over-redeem refused: $error");
$xml = api_ok('balance', array('campaign_id' => $campaign_id, 'code' => $code));
check((string)$xml->campaign->customer->balance == '75', 'the refused redeem changed nothing');
step('over-redeem refused');

$xml = api_ok('customer_balance', array('campaign_id' => $campaign_id, 'code' => $code));
$redeemed = array();
foreach ($xml->campaign->customer->transactions->transaction as $t) {
    check(preg_match('/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/', (string)$t->date) == 1, 'transaction date');
    $redeemed[] = (string)$t->redeemed . ':' . (string)$t->amount;
}
check($redeemed == array('Y:300', 'N:250', 'N:125'), 'history newest first: ' . json_encode($redeemed));
step('history');

as_user($manager[0], $manager[1]);
$xml = api_ok('reports', array('report' => 'transactions_all', 'date_start' => gmdate('Y-m-d', time() - 86400),
    'selected_campaigns' => $campaign_id));
$rows = array();
foreach ($xml->transaction as $t) {  // bare <transaction> elements directly under <response>
    check((string)$t->code == $code && (string)$t->card_number == '4000123412341234', 'report row names the customer');
    $rows[] = (string)$t->amount_number;
}
sort($rows);
check($rows == array('-300', '125', '250'), 'report lists the three transactions (a redeem is negative): ' . json_encode($rows));
step('reports transactions_all');
echo "ALL OK\n";
