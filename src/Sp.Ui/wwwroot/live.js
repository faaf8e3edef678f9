// Live status without reloading the page (a reload would lose the reader's place, focus and scroll): while the page
// carries [data-running], fetch it again every data-running milliseconds and swap in the elements marked [data-live]
// (same id) that changed. Without script, the page's <noscript> refresh does the job.
(function () {
  var marker = document.querySelector('[data-running]');
  if (!marker || !window.fetch || !window.DOMParser) return;
  var every = parseInt(marker.getAttribute('data-running'), 10) || 3000;
  function tick() {
    fetch(location.href, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) return true;
        var next = new DOMParser().parseFromString(html, 'text/html');
        document.querySelectorAll('[data-live]').forEach(function (el) {
          var fresh = next.getElementById(el.id);
          if (fresh && fresh.innerHTML !== el.innerHTML) el.innerHTML = fresh.innerHTML;
        });
        return next.querySelector('[data-running]') !== null;
      })
      .catch(function () { return true; }) // the UI may be busy or restarting: try again
      .then(function (again) {
        if (again) setTimeout(tick, every);
        else document.querySelectorAll('[data-running]').forEach(function (el) { el.removeAttribute('data-running'); });
      });
  }
  setTimeout(tick, every);
})();
