/* Rewardgate balance widget (docs/account.md). Embed with, on the merchant's page:
 *
 *   <script src="https://LOYALTY-HOST/widget.js" async
 *           data-account="ACCOUNT_ID" data-token="TIME_TOKEN" data-customer="CUSTOMER_CODE"
 *           data-campaign="CAMPAIGN_ID (optional)" data-api="https://LOYALTY-HOST/ (optional)"
 *           data-target="ELEMENT_ID (optional)"></script>
 *
 * The token comes from the merchant's server (generate_time_token with code=CUSTOMER_CODE), never an
 * API key. The widget asks customer_info by JSONP and shows each campaign's balance and the rewards
 * the balance reaches; a refusal (an expired token, another customer's token) is shown as such.
 * Every text is set with textContent: reward descriptions are data, never markup.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) {
    var scripts = document.querySelectorAll("script[data-token]");
    script = scripts[scripts.length - 1];
  }
  if (!script) { return; }
  var data = script.dataset;
  var api = data.api || new URL(script.src, document.baseURI).origin + "/";
  var box = (data.target && document.getElementById(data.target)) || document.createElement("div");
  if (!document.getElementById("rewardgate-style")) {
    // Plain defaults; :where() gives them no specificity, so any rule of the page's own wins.
    var style = document.createElement("style");
    style.id = "rewardgate-style";
    style.textContent = ":where(.rewardgate-widget){font-family:sans-serif;border:1px solid #ddd;" +
      "border-radius:6px;padding:4px 12px;margin:8px 0;max-width:24em}" +
      ":where(.rewardgate-balance){font-weight:bold}:where(.rewardgate-error){color:#a00}";
    document.head.appendChild(style);
  }
  box.className = "rewardgate-widget";
  box.setAttribute("data-state", "loading");
  if (!box.parentNode) { script.parentNode.insertBefore(box, script.nextSibling); }

  function add(parent, tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    parent.appendChild(node);
    return node;
  }

  function list(value) {  // JSON arrays stay arrays; nothing is an empty list
    return Array.isArray(value) ? value : (value ? [value] : []);
  }

  function refuse(message) {
    box.textContent = "";
    box.setAttribute("data-state", "error");
    add(box, "p", "rewardgate-error", message);
  }

  function show(answer) {
    if (!answer || answer.status !== "success") {
      refuse((answer && answer.error) || "The loyalty server did not answer.");
      return;
    }
    box.textContent = "";
    box.setAttribute("data-state", "ok");
    var campaigns = list(answer.campaigns);
    if (!campaigns.length) { add(box, "p", "rewardgate-empty", "No loyalty programme yet."); }
    campaigns.forEach(function (c) {
      var part = add(box, "div", "rewardgate-campaign");
      part.setAttribute("data-campaign-id", c.id);
      add(part, "h3", "rewardgate-name", c.name);
      var line = add(part, "p", "rewardgate-line", "Balance: ");
      add(line, "span", "rewardgate-balance", c.balance);
      var rewards = list(c.rewards);
      if (rewards.length) {
        add(part, "p", "rewardgate-reach", "Rewards in reach:");
        var ul = add(part, "ul", "rewardgate-rewards");
        rewards.forEach(function (r) {
          var li = add(ul, "li", "rewardgate-reward", r.description + " (" + r.level + ")");
          li.setAttribute("data-reward-id", r.id);
        });
      } else if (c.type === "points" || c.type === "events") {
        add(part, "p", "rewardgate-none", "No reward in reach yet.");
      }
    });
  }

  var name = "__rewardgate_" + Math.floor(Math.random() * 1e9);
  var params = {type: "customer_info", account_id: data.account || "", token: data.token || "",
                code: data.customer || "", output: "json", callback: name};
  if (data.campaign) { params.campaign_id = data.campaign; }
  var query = Object.keys(params).map(function (k) {
    return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]);
  }).join("&");
  var request = document.createElement("script");
  function done() {
    try { delete window[name]; } catch (e) { window[name] = undefined; }
    if (request.parentNode) { request.parentNode.removeChild(request); }
  }
  window[name] = function (answer) { done(); show(answer); };
  request.onerror = function () { done(); refuse("The loyalty server could not be reached."); };
  request.src = api + (api.indexOf("?") < 0 ? "?" : "&") + query;
  document.head.appendChild(request);
})();
