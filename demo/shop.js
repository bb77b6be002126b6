// Reel Outfitters: the demo shop's behaviour. Plain browser JavaScript, no build step.
// Loaded after /demo/config.js (window.REEL_DEMO = {apiKey, serverUrl}) and /sdk.js (window.reel);
// every call into the SDK is guarded so the shop also works without it.
(function () {
  'use strict';

  var config = window.REEL_DEMO || {};
  if (window.reel && config.apiKey) {
    window.reel.init({ apiKey: config.apiKey, serverUrl: config.serverUrl, flushIntervalMs: 1000 });
  }

  var PRODUCTS = [
    { id: 'backpack', name: 'Trailhead 28L Backpack', price: 129, image: 'product-backpack.svg',
      description: 'A light, weatherproof daypack with a ventilated back panel, hip-belt pockets and room for a 2 L bladder.' },
    { id: 'tent', name: 'Summit 2P Tent', price: 349, image: 'product-tent.svg',
      description: 'Freestanding two-person tent, 1.6 kg packed. Two doors, two vestibules, pitches in under five minutes.' },
    { id: 'mug', name: 'Enamel Camp Mug', price: 18, image: 'product-mug.svg',
      description: 'Steel mug with a glossy enamel finish. Goes straight on the stove, survives being dropped on rocks.' },
    { id: 'jacket', name: 'Ridge Rain Jacket', price: 189, image: 'product-jacket.svg',
      description: 'Three-layer waterproof shell with pit zips and a helmet-compatible hood. Packs into its own pocket.' },
    { id: 'boots', name: 'Canyon Hiking Boots', price: 159, image: 'product-boots.svg',
      description: 'Mid-height leather boots with a grippy outsole and a waterproof membrane. Broken in from day one.' },
    { id: 'lantern', name: 'Ember LED Lantern', price: 39, image: 'product-lantern.svg',
      description: 'Warm, dimmable light for the tent or the picnic table. 60 hours on low, charges over USB-C.' }
  ];

  var CART_KEY = 'reel-outfitters-cart';
  var USER_KEY = 'reel-outfitters-user';
  var DEMO_USER = 'demo-user-42';

  function findProduct(id) {
    for (var i = 0; i < PRODUCTS.length; i++) {
      if (PRODUCTS[i].id === id) return PRODUCTS[i];
    }
    return null;
  }

  function money(amount) {
    return '$' + amount.toFixed(2);
  }

  function readCart() {
    try {
      var cart = JSON.parse(localStorage.getItem(CART_KEY) || '[]');
      return Array.isArray(cart) ? cart : [];
    } catch (e) {
      return [];
    }
  }

  function writeCart(cart) {
    try {
      localStorage.setItem(CART_KEY, JSON.stringify(cart));
    } catch (e) {
      // Private mode or storage full: the cart just does not persist.
    }
  }

  function addToCart(productId, quantity) {
    var cart = readCart();
    var line = null;
    for (var i = 0; i < cart.length; i++) {
      if (cart[i].id === productId) line = cart[i];
    }
    if (line) line.quantity += quantity;
    else cart.push({ id: productId, quantity: quantity });
    writeCart(cart);
    renderCartCount();
  }

  function renderCartCount() {
    var badge = document.getElementById('cart-count');
    if (!badge) return;
    var count = readCart().reduce(function (sum, line) { return sum + line.quantity; }, 0);
    badge.textContent = String(count);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // --- every page -------------------------------------------------------------------------

  function setUpSignIn() {
    var link = document.getElementById('signin');
    if (!link) return;
    function showSignedIn(userId) {
      link.textContent = 'Signed in as ' + userId;
      link.classList.add('signed-in');
    }
    if (localStorage.getItem(USER_KEY)) showSignedIn(localStorage.getItem(USER_KEY));
    link.addEventListener('click', function (event) {
      event.preventDefault();
      if (window.reel) window.reel.identify(DEMO_USER, { plan: 'pro' });
      try { localStorage.setItem(USER_KEY, DEMO_USER); } catch (e) { /* not persisted */ }
      showSignedIn(DEMO_USER);
    });
  }

  // --- index.html -------------------------------------------------------------------------

  function renderGrid() {
    var grid = document.getElementById('product-grid');
    if (!grid) return;
    PRODUCTS.forEach(function (product) {
      var card = el('a', 'product-card');
      card.href = '/demo/product.html?id=' + encodeURIComponent(product.id);
      card.setAttribute('data-testid', 'product-link');
      var image = el('img', 'product-card-image');
      image.src = '/demo/' + product.image;
      image.alt = product.name;
      image.width = 400;
      image.height = 300;
      card.appendChild(image);
      var body = el('div', 'product-card-body');
      body.appendChild(el('h3', '', product.name));
      body.appendChild(el('p', 'price', money(product.price)));
      card.appendChild(body);
      grid.appendChild(card);
    });
  }

  // --- product.html -----------------------------------------------------------------------

  function renderProduct() {
    var detail = document.getElementById('product-detail');
    if (!detail) return;
    var id = new URLSearchParams(location.search).get('id') || PRODUCTS[0].id;
    var product = findProduct(id);
    if (!product) {
      detail.hidden = true;
      document.getElementById('not-found').hidden = false;
      return;
    }
    document.title = product.name + ' — Reel Outfitters';
    document.getElementById('crumb').textContent = product.name;
    document.getElementById('product-name').textContent = product.name;
    document.getElementById('product-price').textContent = money(product.price);
    document.getElementById('product-description').textContent = product.description;
    var image = document.getElementById('product-image');
    image.src = '/demo/' + product.image;
    image.alt = product.name;

    document.getElementById('add-to-cart').addEventListener('click', function () {
      var quantity = Number(document.getElementById('quantity').value) || 1;
      addToCart(product.id, quantity);
      document.getElementById('added').hidden = false;
    });
  }

  // --- checkout.html ----------------------------------------------------------------------

  function renderCheckout() {
    var form = document.getElementById('checkout-form');
    if (!form) return;
    renderSummary();

    var pay = document.getElementById('pay');
    var error = document.getElementById('pay-error');
    function submitPayment() {
      pay.disabled = true;
      pay.textContent = 'Processing…';
      error.hidden = true;
      fetch('/demo/api/checkout', { method: 'POST' })
        .then(function (response) {
          if (!response.ok) {
            throw new Error('the payment service is unavailable (' + response.status + ')');
          }
          location.href = '/demo/index.html';
        })
        .catch(function (err) {
          error.textContent = 'Payment failed: ' + err.message + '. Your card was not charged; please try again later.';
          error.hidden = false;
        })
        .then(function () {
          pay.disabled = false;
          pay.textContent = 'Pay now';
        });
    }
    pay.addEventListener('click', submitPayment);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      submitPayment();
    });

    // A dead link: it looks like a link and does nothing (the page is "not written yet"), so
    // replays show a dead click.
    var shipping = document.getElementById('shipping-info');
    if (shipping) {
      shipping.addEventListener('click', function (event) {
        event.preventDefault();
      });
    }

    // The "broken button": logs an error and then throws one nobody catches, so the replay
    // shows both a console error and an uncaught exception.
    document.getElementById('broken').addEventListener('click', function () {
      var code = document.getElementById('promo').value;
      console.error('promo code service returned an invalid response for code "' + code + '"');
      throw new Error('Cannot apply promo code: the discount service response is empty');
    });
  }

  function renderSummary() {
    var list = document.getElementById('summary-items');
    var cart = readCart();
    var subtotal = 0;
    list.textContent = '';
    cart.forEach(function (line) {
      var product = findProduct(line.id);
      if (!product) return;
      subtotal += product.price * line.quantity;
      var item = el('li', 'summary-item');
      var image = el('img', 'summary-image');
      image.src = '/demo/' + product.image;
      image.alt = '';
      item.appendChild(image);
      var text = el('div', 'summary-text');
      text.appendChild(el('span', 'summary-name', product.name));
      text.appendChild(el('span', 'muted', 'Qty ' + line.quantity));
      item.appendChild(text);
      item.appendChild(el('span', 'summary-price', money(product.price * line.quantity)));
      list.appendChild(item);
    });
    if (!list.children.length) {
      var empty = el('li', 'summary-empty muted', 'Your cart is empty. ');
      var link = el('a', '', 'Find something you like');
      link.href = '/demo/index.html';
      empty.appendChild(link);
      list.appendChild(empty);
    }
    var shipping = subtotal === 0 || subtotal >= 75 ? 0 : 7.5;
    document.getElementById('subtotal').textContent = money(subtotal);
    document.getElementById('shipping').textContent = shipping ? money(shipping) : 'Free';
    document.getElementById('total').textContent = money(subtotal + shipping);
  }

  setUpSignIn();
  renderCartCount();
  renderGrid();
  renderProduct();
  renderCheckout();
})();
