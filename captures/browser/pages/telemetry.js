// Periodic traffic that is not polling: analytics beacons (navigator.sendBeacon, answered
// 204) and a presence heartbeat (POST /presence, answered {"ok":true}). The intervals come
// from this script tag's data-beacon-ms and data-presence-ms; absent means off.
(function () {
  const tag = document.currentScript;
  const beaconEvery = Number(tag.dataset.beaconMs || 0);
  const presenceEvery = Number(tag.dataset.presenceMs || 0);
  const timers = [];
  let sent = 0;
  if (beaconEvery) {
    timers.push(setInterval(() => {
      sent += 1;
      navigator.sendBeacon("/analytics", JSON.stringify({
        event: "engagement", seq: sent, page: location.pathname,
        engaged_ms: Math.round(performance.now()),
      }));
    }, beaconEvery));
  }
  if (presenceEvery) {
    timers.push(setInterval(() => {
      fetch("/presence", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ status: "online" }),
      }).catch(() => {});
    }, presenceEvery));
  }
  window.telemetry = { stop() { timers.forEach(clearInterval); } };
})();
