<?php
// A merchant's back office: create a campaign and a reward, list, update, and delete them.
require __DIR__ . '/lib.php';

$name = 'Coffee & Cake <Club>';
$xml = api_ok('campaign_new', array('action' => 'campaign', 'campaign_type' => 'points',
    'campaign_name' => $name, 'description' => 'Caf' . "\xc3\xa9" . ' rewards', 'points_ratio' => '100'));
check((string)$xml->campaign['status'] == 'new', 'new campaign has status="new"');
$campaign_id = (string)$xml->campaign->id;
check(preg_match('/^\d{16}$/', $campaign_id) == 1, "campaign id is 16 digits: $campaign_id");
check((string)$xml->campaign->name == $name, 'name round-trips with & and <');
step("campaign_new campaign $campaign_id");

$xml = api_ok('campaign_new', array('action' => 'reward', 'campaign_id' => $campaign_id,
    'reward_level' => '1000', 'reward_description' => 'Free Widget', 'reward_identifier' => '1010101'));
$reward_id = (string)$xml->campaign->reward->id;
check($reward_id !== '' && ctype_digit($reward_id), "reward id is an integer: $reward_id");
step("campaign_new reward $reward_id");

$xml = api_ok('campaign_new', array('action' => 'reward', 'campaign_id' => $campaign_id,
    'reward_level' => '250', 'reward_description' => 'Free Coffee'));
$coffee_id = (string)$xml->campaign->reward->id;

$xml = api_ok('campaigns_list');
$found = null;
foreach ($xml->campaigns->campaign as $c) {
    if ((string)$c->id == $campaign_id) {
        $found = $c;
    }
}
check($found !== null, 'campaigns_list lists the new campaign');
check((string)$found->type == 'points' && (string)$found->name == $name, 'listed type and name');
check((string)$found->description == "Caf\xc3\xa9 rewards", 'UTF-8 description round-trips');
step('campaigns_list');

$xml = api_ok('campaign_update', array('action' => 'campaign', 'campaign_id' => $campaign_id,
    'new_campaign_name' => 'Coffee Club'));
check((string)$xml->campaign['status'] == 'updated', 'update has status="updated"');
$xml = api_ok('campaigns_list');
check((string)$xml->campaigns->campaign[0]->name == 'Coffee Club', 'new name is listed');
step('campaign_update campaign');

$xml = api_ok('campaign_rewards', array('campaign_id' => $campaign_id));
$levels = array();
foreach ($xml->rewards->reward as $r) {
    $levels[(string)$r->id] = (string)$r->level;
}
check($levels == array($coffee_id => '250', $reward_id => '1000'), 'rewards listed cheapest first: ' . json_encode($levels));
check((string)$xml->rewards->reward[1]->reward_id == '1010101', 'reward_identifier shown as reward_id');
step('campaign_rewards');

$xml = api_ok('campaign_delete', array('action' => 'reward', 'campaign_id' => $campaign_id, 'reward_id' => $reward_id));
check((string)$xml->reward['status'] == 'deleted', 'reward delete has status="deleted"');
$xml = api_ok('campaign_rewards', array('campaign_id' => $campaign_id));
check(count($xml->rewards->reward) == 1 && (string)$xml->rewards->reward->id == $coffee_id, 'one reward left');
step('campaign_delete reward');

// The same call with output=JSON, as the JSON integrations read it.
$s = settings();
list($code, $ctype, $body) = post_raw(array('user_id' => $s['user_id'], 'user_password' => $s['key'],
    'account_id' => $s['account_id'], 'type' => 'campaign_rewards', 'campaign_id' => $campaign_id, 'output' => 'JSON'));
$doc = json_decode($body, true);
check($doc['status'] == 'success' && is_array($doc['rewards']) && count($doc['rewards']) == 1, 'JSON rewards is an array of one');
check($doc['rewards'][0]['id'] === $coffee_id, 'JSON ids are strings');
step('output=JSON');

// The key in the api_access_key header wins over a wrong one in the body.
list($code, $ctype, $body) = post_raw(array('user_id' => $s['user_id'], 'user_api_key' => 'wrong-key',
    'type' => 'campaigns_list'), array('api_access_key: ' . $s['key']));
check((string)simplexml_load_string($body)['status'] == 'success', 'header key accepted');
step('api_access_key header');

$xml = api_ok('campaign_delete', array('action' => 'campaign', 'campaign_id' => $campaign_id));
check((string)$xml->campaign['status'] == 'deleted', 'campaign delete has status="deleted"');
$xml = api_ok('campaigns_list');
check(count($xml->campaigns->campaign) == 0, 'no campaign left');
check(api_error('campaign_rewards', array('campaign_id' => $campaign_id)) == 'Campaign not found', 'deleted campaign is gone');
step('campaign_delete campaign');

check(api_error('no_such_call') == 'Unknown type: no_such_call', 'unknown type error');
step('errors');
echo "ALL OK\n";
