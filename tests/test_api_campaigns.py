"""JSON API campaigns: create, list, read, change, the state machine, slugs, legacy campaigns given a
slug, and what the legacy door sees of a JSON campaign."""
from __future__ import annotations

import pytest

from api_support import RULES, JsonApi, campaign, keys, live, open_campaign, test_env  # noqa: F401
from gateway.domain.models import Campaign


def test_a_new_campaign_is_a_draft_points_campaign(live):
    made = live.post("/campaigns", {"name": "Summer", "slug": "summer-promo", "description": "Hot",
                                    "startsAt": "2025-07-01T00:00:00Z", "endsAt": "2099-09-01T00:00:00+02:00",
                                    "rules": RULES}, status=201)["campaign"]
    assert made["status"] == "draft" and made["slug"] == "summer-promo" and made["name"] == "Summer"
    assert made["startsAt"] == "2025-07-01T00:00:00Z" and made["endsAt"] == "2099-08-31T22:00:00Z"
    assert made["rules"] == [{"eventType": "purchase", "pointsPer": "1", "metadataField": "amount"},
                             {"eventType": "signup", "points": 50, "maxPerUserPerDay": 1},
                             {"eventType": "visit", "points": 10}]
    row = Campaign.get_by_id(made["legacyCampaignId"])
    assert (row.account_id, row.type, row.active) == ("shop", "points", False)
    assert live.get("/campaigns/summer-promo")["campaign"] == made
    assert live.get("/campaigns")["campaigns"] == [made]


def test_states_draft_active_paused_ended(live):
    live.post("/campaigns", {"name": "S", "slug": "summer"}, status=201)
    assert live.err("POST", "/campaigns/summer/pause", status=409)["message"] == "Campaign is not active"
    assert live.post("/campaigns/summer/activate")["campaign"]["status"] == "active"
    assert live.post("/campaigns/summer/activate")["campaign"]["status"] == "active"  # stays active
    assert live.post("/campaigns/summer/pause")["campaign"]["status"] == "paused"
    assert live.post("/campaigns/summer/pause")["campaign"]["status"] == "paused"
    assert live.post("/campaigns/summer/activate")["campaign"]["status"] == "active"  # resumes
    assert live.post("/campaigns/summer/end")["campaign"]["status"] == "ended"
    assert live.post("/campaigns/summer/end")["campaign"]["status"] == "ended"
    for action in ("activate", "pause"):
        assert live.err("POST", f"/campaigns/summer/{action}", status=409)["message"] == "Campaign has ended"
    assert live.err("PATCH", "/campaigns/summer", {"name": "X"}, status=409)["message"] == "Campaign has ended"
    assert live.get("/campaigns/summer")["campaign"]["name"] == "S"


def test_an_end_date_in_the_past_counts_as_ended(live):
    live.post("/campaigns", {"name": "S", "slug": "gone", "endsAt": "2020-01-01T00:00:00Z"}, status=201)
    assert live.get("/campaigns/gone")["campaign"]["status"] == "ended"
    assert live.err("POST", "/campaigns/gone/activate", status=409)["code"] == "campaign_ended"


def test_patch_changes_name_dates_and_rules(live, campaign):
    changed = live.ok("PATCH", "/campaigns/summer-promo", {"name": "Winter", "endsAt": "2099-01-01T00:00:00Z",
                                                           "rules": [{"eventType": "visit", "points": 3}]})["campaign"]
    assert (changed["name"], changed["endsAt"], changed["status"]) == ("Winter", "2099-01-01T00:00:00Z", "active")
    assert changed["rules"] == [{"eventType": "visit", "points": 3}]
    cleared = live.ok("PATCH", "/campaigns/summer-promo", {"endsAt": None})["campaign"]
    assert cleared["endsAt"] is None and cleared["rules"] == changed["rules"]
    doc = live.err("PATCH", "/campaigns/summer-promo", {"startsAt": "2099-02-01T00:00:00Z",
                                                        "endsAt": "2099-01-01T00:00:00Z"}, status=400)
    assert doc["message"] == "Invalid endsAt: must be after startsAt"
    assert live.err("PATCH", "/campaigns/summer-promo", {"slug": "other"}, status=400)["message"] == \
        "Invalid request body: slug: Unknown field."
    assert live.err("PATCH", "/campaigns/nope-nope", {"name": "X"}, status=404)["message"] == "Campaign not found"


@pytest.mark.parametrize("slug", ["abc", "ab-cdef", "Summer", "sum_mer", "summer-", "sum mer", "codes", "x" * 65,
                                  "summ--er", "-summer", "été-promo"])
def test_slug_rules(live, slug):
    doc = live.err("POST", "/campaigns", {"name": "S", "slug": slug}, status=400)
    assert "slug" in doc["message"]
    assert Campaign.select().count() == 0


@pytest.mark.parametrize("slug", ["summ", "summer-promo-2025", "2025-x", "abcd-e-f"])
def test_good_slugs(live, slug):
    assert live.post("/campaigns", {"name": "S", "slug": slug}, status=201)["campaign"]["slug"] == slug


def test_a_slug_is_unique_per_account_and_environment(live, test_env, client):
    live.post("/campaigns", {"name": "S", "slug": "summer"}, status=201)
    doc = live.err("POST", "/campaigns", {"name": "T", "slug": "summer"}, status=409)
    assert doc == {"status": "error", "code": "slug_taken", "message": "A campaign with this slug already exists"}
    # The test environment and another account have slugs of their own.
    test_env.post("/campaigns", {"name": "S", "slug": "summer"}, status=201)
    from api_support import make_keys

    other = JsonApi(client, make_keys("other")[("live", "secret")])
    other.post("/campaigns", {"name": "S", "slug": "summer"}, status=201)
    assert Campaign.select().where(Campaign.slug == "summer").count() == 3


@pytest.mark.parametrize("rules, field", [
    ([{"eventType": "a", "points": 1, "pointsPer": 2, "metadataField": "x"}], "points"),
    ([{"eventType": "a"}], "points"),
    ([{"eventType": "a", "pointsPer": 2}], "metadataField"),
    ([{"eventType": "a", "points": -1}], "points"),
    ([{"eventType": "a", "points": "5"}], "points"),
    ([{"eventType": "a", "points": 1.5}], "points"),
    ([{"eventType": "a", "pointsPer": 0, "metadataField": "x"}], "pointsPer"),
    ([{"eventType": "a", "points": 1, "maxPerUserPerDay": 0}], "maxPerUserPerDay"),
    ([{"eventType": "", "points": 1}], "eventType"),
    ([{"eventType": "a", "points": 1, "bonus": 2}], "bonus"),
    ([{"eventType": "a", "points": 1}, {"eventType": "a", "points": 2}], "rules"),
    ("visit", "rules"),
])
def test_bad_rules_are_refused_naming_the_field(live, rules, field):
    doc = live.err("POST", "/campaigns", {"name": "S", "slug": "summer", "rules": rules}, status=400)
    assert field in doc["message"], doc
    assert Campaign.select().count() == 0


def test_a_legacy_points_campaign_gets_a_slug(live, api):
    cid = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Old")["campaign"]["id"]
    adopted = live.post("/campaigns", {"slug": "oldie-points", "legacyCampaignId": cid,
                                       "rules": [{"eventType": "visit", "points": 5}]}, status=201)["campaign"]
    assert (adopted["legacyCampaignId"], adopted["name"], adopted["status"]) == (cid, "Old", "active")
    assert Campaign.select().count() == 1
    assert live.err("POST", "/campaigns", {"slug": "again-slug", "legacyCampaignId": cid}, status=409)["code"] == \
        "campaign_has_slug"
    # Deactivated at the legacy door: paused here, and the reverse.
    api.ok("campaign_deactivate", campaign_id=cid)
    assert live.get("/campaigns/oldie-points")["campaign"]["status"] == "paused"
    assert cid not in str(api.ok("campaigns_list"))
    live.post("/campaigns/oldie-points/activate")
    assert cid in str(api.ok("campaigns_list"))


def test_a_legacy_campaign_of_another_kind_or_account_is_refused(live, api):
    gift = api.ok("campaign_new", action="campaign", campaign_type="giftcard", campaign_name="G")["campaign"]["id"]
    assert live.err("POST", "/campaigns", {"slug": "gift-card", "legacyCampaignId": gift}, status=400)["message"] == \
        "Invalid legacyCampaignId: must be a points campaign"
    theirs = api.other().ok("campaign_new", action="campaign", campaign_type="points", campaign_name="O")["campaign"]["id"]
    assert live.err("POST", "/campaigns", {"slug": "theirs", "legacyCampaignId": theirs}, status=404)["code"] == \
        "campaign_not_found"
    assert Campaign.select().where(Campaign.slug.is_null(False)).count() == 0


def test_the_legacy_door_sees_an_active_json_campaign_only(live, api):
    made = live.post("/campaigns", {"name": "Json", "slug": "json-camp"}, status=201)["campaign"]
    cid = made["legacyCampaignId"]

    def listed():
        doc = api.ok("campaigns_list")
        return cid in str(doc)

    assert not listed()
    live.post("/campaigns/json-camp/activate")
    assert listed()
    live.post("/campaigns/json-camp/pause")
    assert not listed()


def test_a_draft_reactivated_at_the_legacy_door_is_active(live, api):
    cid = live.post("/campaigns", {"name": "S", "slug": "summer"}, status=201)["campaign"]["legacyCampaignId"]
    api.ok("campaign_reactivate", campaign_id=cid)
    assert live.get("/campaigns/summer")["campaign"]["status"] == "active"
    assert live.post("/campaigns/summer/pause")["campaign"]["status"] == "paused"
    assert cid not in str(api.ok("campaigns_list"))


def test_an_idempotency_key_makes_a_campaign_once(live, client):
    headers = {"X-API-Secret": live.key, "Idempotency-Key": "make-summer"}
    body = {"name": "S", "slug": "summer"}
    first = client.post("/v1/campaigns", json=body, headers=headers)
    again = client.post("/v1/campaigns", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and first.get_json() == again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true" and Campaign.select().count() == 1
    other = client.post("/v1/campaigns", json={**body, "name": "T"}, headers=headers)
    assert other.status_code == 409 and other.get_json()["code"] == "reference_reused"
