// The window tablet / kiosk: pairs once, then rates offline first. The device's credential, its
// profile (window, staff, the province's tags) and the queue of ratings live in IndexedDB (never in
// localStorage, never in a URL); every rating is queued before anything is sent, and sent oldest first
// with backoff when the network is there. Refused for good → moved to the "refused" store and counted.
"use strict";

(function () {
  const DB = "haochaping-terminal";
  const $ = (id) => document.getElementById(id);
  let db = null;
  let sending = false;
  let backoff = 2000;
  let retryTimer = null;
  let revoked = false;

  function open() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => {
        const d = request.result;
        d.createObjectStore("kv");
        d.createObjectStore("queue", {keyPath: "rating_id"});
        d.createObjectStore("refused", {keyPath: "rating_id"});
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  function tx(store, mode, work) {
    return new Promise((resolve, reject) => {
      const t = db.transaction(store, mode);
      const result = work(t.objectStore(store));
      t.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  }
  const get = (store, key) => tx(store, "readonly", (s) => s.get(key));
  const put = (store, value, key) => tx(store, "readwrite", (s) => (key === undefined ? s.put(value) : s.put(value, key)));
  const del = (store, key) => tx(store, "readwrite", (s) => s.delete(key));
  const all = (store) => tx(store, "readonly", (s) => s.getAll());

  async function showCounts() {
    const [queued, refused] = await Promise.all([all("queue"), all("refused")]);
    $("pending").textContent = String(queued.length);
    $("refused").textContent = String(refused.length);
    document.body.dataset.pending = String(queued.length);
    document.body.dataset.refused = String(refused.length);
    $("revoked").hidden = !revoked;
    document.body.dataset.revoked = String(revoked);
  }

  function network(up) {
    $("network").textContent = up ? "联网" : "离线（评价保存在本机，恢复后自动发送）";
    document.body.dataset.online = String(up);
  }

  async function api(path, options) {
    const token = await get("kv", "token");
    const headers = {"content-type": "application/json", ...(token ? {authorization: `Bearer ${token}`} : {})};
    return fetch(path, {...options, headers, cache: "no-store"});
  }

  // Permanent refusals leave the queue for the "refused" store; a revoked device keeps its queue.
  const FOR_GOOD = new Set([400, 403, 404, 409, 413, 422]);

  async function flush() {
    if (sending || revoked) return;
    sending = true;
    clearTimeout(retryTimer);
    try {
      const queued = (await all("queue")).sort((a, b) => (a.rated_at < b.rated_at ? -1 : 1));
      for (const item of queued) {
        const {phone, ...rest} = item;
        const body = {...rest, ...(phone ? {rater: {phone, kind: "person"}} : {})};
        let answer;
        try {
          answer = await api("/v1/ratings", {method: "POST", body: JSON.stringify(body)});
        } catch (e) {
          network(false);
          throw e;
        }
        network(true);
        if (answer.status === 200 || answer.status === 201) {
          await del("queue", item.rating_id);
        } else if (answer.status === 401) {
          revoked = true;
          await put("kv", true, "revoked");
          showPairing(); // the queue stays, and is sent once the tablet is paired again
          break;
        } else if (FOR_GOOD.has(answer.status)) {
          const why = await answer.json().catch(() => ({}));
          await put("refused", {...item, refused: why.error || String(answer.status)});
          await del("queue", item.rating_id);
        } else {
          throw new Error(`status ${answer.status}`);
        }
        await showCounts();
      }
      backoff = 2000;
    } catch (e) {
      backoff = Math.min(backoff * 2, 60000);
      retryTimer = setTimeout(flush, backoff);
    } finally {
      sending = false;
      await showCounts();
    }
  }

  function header(profile) {
    $("department").textContent = profile.department.name;
    $("window").textContent = profile.window.name;
    $("staff").hidden = !profile.staff;
    if (profile.staff) {
      $("staff-name").textContent = profile.staff.name;
      $("staff-title").textContent = profile.staff.title || "";
    }
  }

  function showPairing() {
    document.body.dataset.state = "pairing";
    $("rating").hidden = true;
    $("pair").hidden = false;
  }

  async function refreshProfile() {
    try {
      const answer = await api("/v1/devices/me", {method: "GET"});
      if (answer.status === 401) {
        revoked = true;
        await put("kv", true, "revoked");
        showPairing();
      } else if (answer.ok) {
        const profile = await answer.json();
        await put("kv", profile, "profile");
        header(profile);
      }
    } catch (e) {
      network(false);
    }
    await showCounts();
  }

  async function rate(profile) {
    document.body.dataset.state = "rating";
    $("pair").hidden = true;
    $("rating").hidden = false;
    header(profile);
    window.RatingScreen.mount($("rating"), profile, async (rating) => {
      await put("queue", rating); // durable before anything is sent
      await showCounts();
      flush();
      return {ok: true};
    });
  }

  async function pair(event) {
    event.preventDefault();
    $("pair-error").textContent = "";
    try {
      const answer = await fetch("/v1/devices/pair", {
        method: "POST",
        headers: {"content-type": "application/json"},
        body: JSON.stringify({pairing_code: $("pairing-code").value}),
      });
      const body = await answer.json();
      if (!answer.ok) {
        $("pair-error").textContent = "配对码无效、已使用或已过期，请向管理员重新获取。";
        return;
      }
      await put("kv", body.device_token, "token");
      await put("kv", false, "revoked");
      revoked = false;
      await refreshProfile();
      const profile = await get("kv", "profile");
      if (profile) rate(profile);
      flush();
    } catch (e) {
      $("pair-error").textContent = "无法连接服务器，请检查网络后重试。";
    }
  }

  async function boot() {
    db = await open();
    revoked = Boolean(await get("kv", "revoked"));
    network(navigator.onLine);
    window.addEventListener("online", () => { network(true); flush(); });
    window.addEventListener("offline", () => network(false));
    $("pair-form").addEventListener("submit", pair);
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/terminal/sw.js", {scope: "/terminal"}).catch(() => undefined);
    }
    const profile = await get("kv", "profile");
    const token = await get("kv", "token");
    if (token && profile && !revoked) {
      rate(profile);
      refreshProfile();
    } else {
      showPairing();
    }
    await showCounts();
    flush();
    setInterval(flush, 15000);
    document.body.dataset.ready = "true";
  }

  document.addEventListener("DOMContentLoaded", boot);
})();
