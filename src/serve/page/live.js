(function () {
  var live = document.getElementById("live");
  function show(on) {
    live.className = "live " + (on ? "on" : "off");
    live.lastChild.textContent = on ? "live" : "reconnecting…";
  }
  if (!window.EventSource) { show(false); return; }
  var source = new EventSource("ui/stream");
  source.onopen = function () { show(true); };
  source.onerror = function () { show(false); };
  source.addEventListener("main", function (e) {
    var old = document.getElementById("main");
    var open = Array.prototype.map.call(old.querySelectorAll("details[open]"), function (d) { return d.id; });
    var holder = document.createElement("div");
    holder.innerHTML = e.data;
    var fresh = holder.firstElementChild;
    open.forEach(function (id) { var d = id && fresh.querySelector("#" + id); if (d) d.open = true; });
    old.replaceWith(fresh);
    document.title = fresh.getAttribute("data-title");
    document.body.setAttribute("data-shown", e.lastEventId);
    show(true);
  });
})();
