// Upload progress (bytes, rate, time left) for the Files page's browser-to-UI leg (the transfer page shows the rest): the form posts by XMLHttpRequest so the browser can
// report how much it has sent; without JavaScript the form posts as usual.
(function () {
  var form = document.getElementById('upload-form');
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  var bar = document.getElementById('upload-progress');
  var text = document.getElementById('upload-status');
  function mib(n) { return (n / 1048576).toFixed(1) + ' MiB'; }
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var xhr = new XMLHttpRequest();
    var started = Date.now();
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable) return;
      var secs = Math.max((Date.now() - started) / 1000, 0.001);
      var rate = e.loaded / secs;
      var left = rate > 0 ? Math.round((e.total - e.loaded) / rate) : 0;
      bar.max = e.total; bar.value = e.loaded;
      text.textContent = mib(e.loaded) + ' of ' + mib(e.total) + ', ' + mib(rate) + '/s, ' + left + ' s left';
    };
    xhr.upload.onload = function () { text.textContent = 'Sent; encrypting and storing it…'; };
    xhr.onload = function () {
      // Accepted: the server answered with the transfer's page (the store's leg, with its own progress); go there.
      // Refused: the Files page again, with the error at its top.
      if (xhr.responseURL && xhr.responseURL.indexOf('/Transfer') >= 0) { window.location.assign(xhr.responseURL); return; }
      document.open(); document.write(xhr.responseText); document.close();
    };
    xhr.onerror = function () { text.textContent = 'The upload failed: spctl ui could not be reached.'; };
    xhr.open('POST', form.action);
    xhr.send(new FormData(form));
  });
})();
