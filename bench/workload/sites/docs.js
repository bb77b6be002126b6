// Client side of the Corvid Docs workload site: live sidebar filter, copy buttons, feedback
// buttons, and an "active section" highlight in the outline while scrolling.
(function () {
  'use strict';
  var links = Array.prototype.slice.call(document.querySelectorAll('#sidebar li'));
  var sections = Array.prototype.slice.call(document.querySelectorAll('#sidebar details'));
  var count = document.getElementById('search-count');
  document.getElementById('docs-search').addEventListener('input', function (e) {
    var q = e.target.value.trim().toLowerCase();
    var shown = 0;
    links.forEach(function (li) {
      var hit = !q || li.textContent.toLowerCase().indexOf(q) >= 0;
      li.hidden = !hit;
      if (hit) shown++;
    });
    sections.forEach(function (d) {
      var any = d.querySelector('li:not([hidden])');
      d.hidden = !any;
      if (q && any) d.open = true;
    });
    count.textContent = q ? shown + ' pages match "' + q + '"' : '';
    if (q && shown === 0) console.warn('docs search: no results for', q);
  });
  document.querySelectorAll('.copy-btn').forEach(function (b) {
    b.addEventListener('click', function () {
      var codeText = b.closest('.code-block').querySelector('code').textContent;
      console.log('copied', codeText.length, 'characters');
      b.classList.add('copied');
      setTimeout(function () { b.classList.remove('copied'); }, 1500);
    });
  });
  document.querySelectorAll('.feedback').forEach(function (b) {
    b.addEventListener('click', function () {
      b.parentNode.textContent = 'Thanks for your feedback!';
      fetch('/api/docs/feedback', { method: 'POST', body: b.dataset.v }).catch(function () {});
    });
  });
  var outline = Array.prototype.slice.call(document.querySelectorAll('.docs-outline a'));
  var headings = Array.prototype.slice.call(document.querySelectorAll('article h2'));
  var current = -1;
  window.addEventListener('scroll', function () {
    var i = 0;
    for (var k = 0; k < headings.length; k++) if (headings[k].getBoundingClientRect().top < 120) i = k;
    if (i === current) return;
    current = i;
    outline.forEach(function (a, k) { a.classList.toggle('text-bold', k === i); a.classList.toggle('color-fg-accent', k === i); });
  }, { passive: true });
})();
