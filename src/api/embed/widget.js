// The search widget served at /embed: partner sites put the page in an
// <iframe>. It reads its presets from its own URL, talks to this origin's API
// and renders the results with DOM calls (never innerHTML). The page is served
// under a strict Content-Security-Policy, so nothing here may be inline: no
// inline script or style, no event-handler attributes (CSSOM is allowed).
(() => {
  'use strict';

  const RADII = [10, 25, 50, 100, 250, 500, 1000];
  const DEFAULT_RADIUS = 50;
  const MAX_RADIUS = 1000;
  const PAGE_SIZE = 10;
  const LEMS = 'lems';
  // A radius holding fewer than this shows the nearest beyond it too.
  const FEW = 3;

  const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

  // Every string the page shows, in each language. Keys used as data-t in the
  // HTML replace that element's text.
  const STRINGS = {
    en: {
      title: 'Find a specialist near you',
      heading: 'Find a specialist near you',
      place: 'ZIP code or city, state',
      placeHint: 'For example 10001 or Chicago, IL',
      radius: 'Distance',
      radiusOption: (n) => `${n} miles`,
      specialty: 'Specialty',
      anySpecialty: 'Any specialty',
      knowsLems: 'Knows LEMS',
      accepting: 'Accepting new patients',
      search: 'Search',
      more: 'More results',
      note: 'Information may change; call the office to confirm.',
      fictional: 'Demonstration only: every specialist, practice and phone number shown here is fictional.',
      results: 'Results',
      searching: 'Searching…',
      loadingMore: 'Loading more results…',
      found: (n, r, place) => `${plural(n, 'specialist', 'specialists')} within ${r} mi of ${place}`,
      none: (r, place) => `No specialists found within ${r} mi of ${place}. Try a larger distance or fewer filters.`,
      noneNear: (lems, r, place) => `No ${lems ? 'LEMS specialist' : 'specialist'} within ${r} mi of ${place}. The nearest:`,
      fewNear: (r) => `The nearest beyond ${r} mi:`,
      nearest: 'The nearest specialists',
      widen: (r) => `Search within ${r} mi`,
      video: 'See a specialist by video',
      videoLead: (state) => `Telehealth specialists licensed in ${state}, nearest first:`,
      showing: (shown, n, r, place) => `Showing ${shown} of ${plural(n, 'specialist', 'specialists')} within ${r} mi of ${place}`,
      away: (d) => `${d} mi`,
      call: 'Call',
      directions: 'Directions',
      newTab: '(opens in a new tab)',
      details: 'Details',
      specialties: 'Specialties',
      conditions: 'Conditions treated',
      languages: 'Languages',
      loadingDetails: 'Loading…',
      detailsFailed: 'The details could not be loaded. Please try again.',
      err: {
        emptyPlace: 'Enter a ZIP code, or a city and state such as Chicago, IL.',
        badPlace: (text) => `We did not understand “${text}”. Enter a 5-digit ZIP code, or a city and state such as Chicago, IL.`,
        zip: (zip) => `We could not find ZIP code ${zip}. Check the number and try again.`,
        city: (city, state) => `We could not find ${city}, ${state}. Check the spelling, or enter a ZIP code.`,
        state: (state) => `“${state}” is not a US state. Use its two-letter code, as in Chicago, IL.`,
        radius: 'Choose a distance of 1000 miles or less.',
        specialty: 'This specialty is not in the directory. Please choose another.',
        cursor: 'The list changed since you searched. Please search again.',
        key: 'This search is not set up correctly on this website (unknown access key). Please let the website’s owner know.',
        forbidden: 'This website may not use the directory. Please let the website’s owner know.',
        rateLimited: (s) => s > 0
          ? `Too many searches right now. Please try again in ${plural(s, 'second', 'seconds')}.`
          : 'Too many searches right now. Please try again in a minute.',
        server: 'The directory is not available right now. Please try again in a few minutes.',
        network: 'We could not reach the directory. Check your internet connection and try again.',
        other: 'Something went wrong with this search. Please try again.',
      },
    },
    es: {
      title: 'Encuentre un especialista cerca de usted',
      heading: 'Encuentre un especialista cerca de usted',
      place: 'Código postal o ciudad, estado',
      placeHint: 'Por ejemplo 10001 o Chicago, IL',
      radius: 'Distancia',
      radiusOption: (n) => `${n} millas`,
      specialty: 'Especialidad',
      anySpecialty: 'Cualquier especialidad',
      knowsLems: 'Conoce el LEMS',
      accepting: 'Acepta pacientes nuevos',
      search: 'Buscar',
      more: 'Más resultados',
      note: 'La información puede cambiar; llame al consultorio para confirmar.',
      fictional: 'Solo una demostración: todos los especialistas, consultorios y teléfonos que se muestran son ficticios.',
      results: 'Resultados',
      searching: 'Buscando…',
      loadingMore: 'Cargando más resultados…',
      found: (n, r, place) => `${plural(n, 'especialista', 'especialistas')} a menos de ${r} mi de ${place}`,
      none: (r, place) => `No encontramos especialistas a menos de ${r} mi de ${place}. Pruebe con una distancia mayor o menos filtros.`,
      noneNear: (lems, r, place) => `No hay ningún ${lems ? 'especialista en LEMS' : 'especialista'} a menos de ${r} mi de ${place}. Los más cercanos:`,
      fewNear: (r) => `Los más cercanos a más de ${r} mi:`,
      nearest: 'Los especialistas más cercanos',
      widen: (r) => `Buscar a menos de ${r} mi`,
      video: 'Consulte a un especialista por video',
      videoLead: (state) => `Especialistas por telemedicina con licencia en ${state}, del más cercano al más lejano:`,
      showing: (shown, n, r, place) => `Mostrando ${shown} de ${plural(n, 'especialista', 'especialistas')} a menos de ${r} mi de ${place}`,
      away: (d) => `${d} mi`,
      call: 'Llamar al',
      directions: 'Cómo llegar',
      newTab: '(se abre en una pestaña nueva)',
      details: 'Detalles',
      specialties: 'Especialidades',
      conditions: 'Afecciones que trata',
      languages: 'Idiomas',
      loadingDetails: 'Cargando…',
      detailsFailed: 'No se pudieron cargar los detalles. Inténtelo de nuevo.',
      err: {
        emptyPlace: 'Escriba un código postal, o una ciudad y un estado como Chicago, IL.',
        badPlace: (text) => `No entendimos «${text}». Escriba un código postal de 5 dígitos, o una ciudad y un estado como Chicago, IL.`,
        zip: (zip) => `No encontramos el código postal ${zip}. Revise el número e inténtelo de nuevo.`,
        city: (city, state) => `No encontramos ${city}, ${state}. Revise cómo está escrito, o escriba un código postal.`,
        state: (state) => `«${state}» no es un estado de EE. UU. Use su código de dos letras, como en Chicago, IL.`,
        radius: 'Elija una distancia de 1000 millas o menos.',
        specialty: 'Esta especialidad no está en el directorio. Elija otra.',
        cursor: 'La lista cambió desde su búsqueda. Vuelva a buscar.',
        key: 'La búsqueda no está bien configurada en este sitio web (clave de acceso desconocida). Avise al responsable del sitio.',
        forbidden: 'Este sitio web no puede usar el directorio. Avise al responsable del sitio.',
        rateLimited: (s) => s > 0
          ? `Hay demasiadas búsquedas en este momento. Inténtelo de nuevo en ${plural(s, 'segundo', 'segundos')}.`
          : 'Hay demasiadas búsquedas en este momento. Inténtelo de nuevo en un minuto.',
        server: 'El directorio no está disponible en este momento. Inténtelo de nuevo en unos minutos.',
        network: 'No pudimos conectar con el directorio. Revise su conexión a internet e inténtelo de nuevo.',
        other: 'Algo salió mal con esta búsqueda. Inténtelo de nuevo.',
      },
    },
  };

  const url = new URLSearchParams(location.search);
  const lang = url.get('lang') === 'es' ? 'es' : 'en';
  const t = STRINGS[lang];
  const apiKey = url.get('key') || '';
  const decimal = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const whole = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  const languageNames = new Intl.DisplayNames([lang], { type: 'language' });
  const listFormat = new Intl.ListFormat(lang, { type: 'conjunction' });

  const $ = (id) => document.getElementById(id);
  const form = $('plw-form');
  const place = $('plw-place');
  const radius = $('plw-radius');
  const specialty = $('plw-specialty');
  const lems = $('plw-lems');
  const accepting = $('plw-accepting');
  const errorBox = $('plw-error');
  const statusBox = $('plw-status');
  const list = $('plw-results');
  const moreButton = $('plw-more');
  const beyondBox = $('plw-beyond');
  const beyondLead = $('plw-beyond-lead');
  const beyondList = $('plw-beyond-list');
  const widenButton = $('plw-widen');
  const videoBox = $('plw-video');
  const videoLead = $('plw-video-lead');
  const videoList = $('plw-video-list');

  /** An element with attributes (null/false ones skipped) and children. */
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, String(value));
    }
    node.append(...children.filter((c) => c !== null && c !== undefined && c !== ''));
    return node;
  }

  // --- Presets and page set-up ----------------------------------------------

  function translate() {
    document.documentElement.lang = lang;
    document.title = t.title;
    for (const node of document.querySelectorAll('[data-t]')) node.textContent = t[node.dataset.t];
    list.setAttribute('aria-label', t.results);
    beyondList.setAttribute('aria-label', t.nearest);
    videoList.setAttribute('aria-label', t.video);
  }

  /** Relative luminance of an sRGB colour given as six hex digits (WCAG 2). */
  function luminance(hex) {
    const [r, g, b] = [0, 2, 4].map((i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }

  /** Sets --accent from `accent` (3 or 6 hex digits, optional '#'), with a
   * readable text colour on it, and keeps links and focus rings dark enough
   * on white when the accent is pale. */
  function applyAccent(value) {
    const match = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(value || '');
    if (!match) return;
    const hex = match[1].length === 3 ? match[1].replace(/./g, (c) => c + c) : match[1];
    const lum = luminance(hex);
    const contrast = (other) => (Math.max(lum, other) + 0.05) / (Math.min(lum, other) + 0.05);
    const style = document.documentElement.style;
    style.setProperty('--accent', `#${hex}`);
    style.setProperty('--on-accent', contrast(1) >= contrast(0) ? '#fff' : '#111');
    if (contrast(1) < 4.5) style.setProperty('--accent-ink', 'var(--text)');
  }

  function fillRadii(preset) {
    const value = Number(preset);
    const chosen = preset && value > 0 && value <= MAX_RADIUS ? value : DEFAULT_RADIUS;
    const values = RADII.includes(chosen) ? RADII : [...RADII, chosen].sort((a, b) => a - b);
    radius.replaceChildren(...values.map((r) => el('option', { value: r, selected: r === chosen }, t.radiusOption(whole.format(r)))));
  }

  async function fillSpecialties(preset) {
    try {
      const { specialties } = await api('/v1/specialties');
      const groups = new Map(); // in the API's order
      for (const s of specialties.filter((s) => s.physicians > 0)) {
        if (!groups.has(s.group)) groups.set(s.group, el('optgroup', { label: s.group }));
        groups.get(s.group).append(el('option', { value: s.slug, 'data-code': s.code }, s.name));
      }
      specialty.append(...groups.values());
    } catch {
      // The select keeps "Any specialty"; a search shows any real problem.
    }
    if (!preset) return;
    const wanted = preset.toLowerCase();
    const option = [...specialty.options].find(
      (o) => o.value.toLowerCase() === wanted || (o.dataset.code || '').toLowerCase() === wanted,
    );
    if (option) option.selected = true;
    else specialty.append(el('option', { value: preset, selected: true }, preset));
  }

  /** Says so, above the form, when the directory is demonstration data. */
  async function flagFictional() {
    try {
      const { fictional } = await api('/v1/directory');
      document.getElementById('plw-fictional').hidden = !fictional;
    } catch {
      // Unknown: say nothing rather than guess.
    }
  }

  // --- The API ---------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, problem, retryAfter) {
      super(`HTTP ${status}`);
      Object.assign(this, { status, problem, retryAfter });
    }
  }

  /** GETs a same-origin API path; throws ApiError (status 0: no answer). */
  async function api(path, signal) {
    const headers = { Accept: 'application/json' };
    if (apiKey) headers['X-Api-Key'] = apiKey;
    let response;
    try {
      response = await fetch(path, { headers, signal });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiError(0, null, null);
    }
    const body = await response.json().catch(() => null);
    if (response.ok && body) return body;
    throw new ApiError(response.ok ? 500 : response.status, body, response.headers.get('Retry-After'));
  }

  /** The patient-facing words for a failed search of `where`. */
  function explain(error, where) {
    const { status, problem, retryAfter } = error;
    if (status === 0) return t.err.network;
    if (status === 401) return t.err.key;
    if (status === 403) return t.err.forbidden;
    if (status === 429) return t.err.rateLimited(/^\d+$/.test(retryAfter || '') ? Number(retryAfter) : 0);
    if (status >= 500) return t.err.server;
    const faulty = new Set((problem && Array.isArray(problem.errors) ? problem.errors : []).map((e) => e.parameter));
    if (faulty.has('zip')) return t.err.zip(where.zip);
    if (faulty.has('state')) return t.err.state(where.state);
    if (faulty.has('city')) return t.err.city(where.city, where.state);
    if (faulty.has('radius')) return t.err.radius;
    if (faulty.has('specialty')) return t.err.specialty;
    if (faulty.has('cursor')) return t.err.cursor;
    return t.err.other;
  }

  // --- Searching -------------------------------------------------------------

  /** "10001", "10001-1234", "Chicago, IL" or "Chicago IL" as search parameters. */
  function parsePlace(text) {
    const zip4 = /^(\d{5})-?\d{4}$/.exec(text);
    if (zip4) return { zip: zip4[1] };
    if (/^[\d-]+$/.test(text)) return { zip: text };
    const city = /^(.*[^\s,])(?:\s*,\s*|\s+)([a-z]{2})\.?$/i.exec(text);
    return city ? { city: city[1], state: city[2].toUpperCase() } : null;
  }

  let search = null; // the shown search: { query, where, next, total, shown, pages, beyond, origin, radius }
  let inFlight = null; // AbortController of the request under way

  function showError(message, where) {
    errorBox.textContent = message;
    const placeFault = message && where !== undefined;
    place.setAttribute('aria-invalid', placeFault ? 'true' : 'false');
    place.setAttribute('aria-describedby', placeFault ? 'plw-error plw-place-hint' : 'plw-place-hint');
  }

  function summary() {
    const r = whole.format(search.radius);
    // The place without its ZIP code: "Yellowstone National Park, WY".
    if (search.shown === 0 && search.beyond > 0) return t.noneNear(search.lems, r, search.origin.replace(/\s+\d{5}$/, ''));
    if (search.shown === 0) return t.none(r, search.origin);
    if (search.total === null) return t.found(search.shown, r, search.origin);
    if (search.pages > 1) return t.showing(search.shown, search.total, r, search.origin);
    return t.found(search.total, r, search.origin);
  }

  async function fetchPage(query, signal) {
    return api(`/v1/physicians?${query}`, signal);
  }

  /** Runs a new search from the form. `byUser`: focus may move to the box. */
  async function submit(byUser) {
    const text = place.value.trim();
    const where = parsePlace(text);
    if (!where) {
      showError(text ? t.err.badPlace(text) : t.err.emptyPlace, {});
      if (byUser) place.focus();
      return;
    }
    const query = new URLSearchParams(where);
    query.set('radius', radius.value);
    query.set('unit', 'mi');
    if (specialty.value) query.set('specialty', specialty.value);
    if (lems.checked) query.set('condition', LEMS);
    if (accepting.checked) query.set('accepting_new_patients', 'true');
    query.set('limit', String(PAGE_SIZE));
    query.set('beyond', String(FEW));
    // A card shows the summary; opening it fetches the rest (`details`).
    query.set('view', 'summary');

    inFlight?.abort();
    const controller = (inFlight = new AbortController());
    search = null;
    list.replaceChildren();
    moreButton.hidden = true;
    for (const [box, items] of [[beyondBox, beyondList], [videoBox, videoList]]) {
      items.replaceChildren();
      box.hidden = true;
    }
    showError('');
    statusBox.textContent = t.searching;
    list.setAttribute('aria-busy', 'true');
    try {
      const first = new URLSearchParams(query);
      first.set('include_total', 'true');
      const page = await fetchPage(first, controller.signal);
      search = {
        query,
        where,
        next: null,
        total: page.total,
        shown: 0,
        pages: 0,
        beyond: 0,
        lems: lems.checked,
        origin: page.origin ? page.origin.label : text,
        state: page.origin ? page.origin.state : null,
        radius: page.radius ? page.radius.value : Number(radius.value),
      };
      show(page);
    } catch (error) {
      if (error.name === 'AbortError') return;
      statusBox.textContent = '';
      const placeFault = error.problem && (error.problem.errors || []).some((e) => ['zip', 'city', 'state'].includes(e.parameter));
      showError(explain(error, where), placeFault ? where : undefined);
      if (byUser && placeFault) place.focus();
    } finally {
      if (inFlight === controller) {
        inFlight = null;
        list.removeAttribute('aria-busy');
      }
    }
  }

  async function more() {
    if (!search || !search.next || inFlight) return;
    const controller = (inFlight = new AbortController());
    const query = new URLSearchParams(search.query);
    query.set('cursor', search.next);
    list.setAttribute('aria-busy', 'true');
    statusBox.textContent = t.loadingMore;
    try {
      const first = show(await fetchPage(query, controller.signal));
      if (first) {
        first.querySelector('.plw-name').focus({ preventScroll: true });
        first.scrollIntoView({ block: 'start' });
      }
    } catch (error) {
      if (error.name === 'AbortError') return;
      statusBox.textContent = summary();
      showError(explain(error, search.where));
    } finally {
      if (inFlight === controller) {
        inFlight = null;
        list.removeAttribute('aria-busy');
      }
    }
  }

  /** Appends a page of results; returns the first new item. */
  function show(page) {
    const seen = new Set([...list.children].map((li) => li.dataset.npi));
    const items = page.results.filter((r) => !seen.has(r.npi)).map((r) => result(r, search.lems));
    list.append(...items);
    search.shown += items.length;
    search.pages += 1;
    search.next = page.next_cursor || null;
    moreButton.hidden = !search.next;
    const thin = !search.next && search.shown < FEW;
    showBeyond(thin ? page.beyond_radius || [] : []);
    if (thin && search.state) showVideo(search);
    statusBox.textContent = summary();
    return items[0] || null;
  }

  /** Below a radius that holds too few: the nearest beyond it, and a button
   * that widens the search to the smallest offered radius covering them. */
  function showBeyond(beyond) {
    search.beyond = beyond.length;
    beyondBox.hidden = beyond.length === 0;
    beyondList.replaceChildren(...beyond.map((r) => result(r, search.lems)));
    // With nothing inside, the status already says what this list is.
    beyondLead.textContent = search.shown === 0 ? '' : t.fewNear(whole.format(search.radius));
    const wider = RADII.find((r) => beyond.every((b) => b.distance <= r));
    widenButton.hidden = beyond.length === 0 || wider === undefined;
    if (!widenButton.hidden) {
      widenButton.value = String(wider);
      widenButton.textContent = t.widen(whole.format(wider));
    }
  }

  /** Below a radius that holds too few: the nearest who offer telehealth and
   * hold a license in the patient's state, so may see them by video however
   * far away they are. Shown when it arrives; a failure leaves it out. */
  async function showVideo(shown) {
    const query = new URLSearchParams(shown.query);
    query.set('telehealth', 'true');
    query.set('licensed_in', shown.state);
    query.set('limit', String(FEW));
    let page;
    try {
      page = await fetchPage(query);
    } catch {
      return;
    }
    const nearest = [...page.results, ...(page.beyond_radius || [])].slice(0, FEW);
    if (search !== shown || nearest.length === 0) return;
    videoLead.textContent = t.videoLead(shown.state);
    videoList.replaceChildren(...nearest.map((r) => result(r, shown.lems)));
    videoBox.hidden = false;
  }

  /** Searches again within the radius the widen button offers; focus goes to
   * the first result, as after "More results". */
  async function widen() {
    radius.value = widenButton.value;
    await submit(false);
    const first = list.querySelector('.plw-name');
    if (first) {
      first.focus({ preventScroll: true });
      first.scrollIntoView({ block: 'start' });
    }
  }

  // --- One result ------------------------------------------------------------

  function telHref(phone) {
    const digits = phone.replace(/\D/g, '');
    return `tel:${digits.length === 10 ? `+1${digits}` : digits}`;
  }

  function directionsHref(loc) {
    const a = loc.address;
    const destination = loc.geocode_precision === 'zip'
      ? `${loc.practice_name}, ${a.street}, ${a.city}, ${a.state} ${a.zip}`
      : `${loc.lat},${loc.lng}`;
    return `https://www.google.com/maps/dir/?api=1&destination=${encodeURIComponent(destination)}`;
  }

  const lemsBadge = () => el('li', { class: 'plw-badge plw-badge-lems' }, t.knowsLems);

  let detailsShown = 0; // numbers each result's details region, for its id

  /** A result card from the summary view. `lemsSearch`: the search asked for
   * `condition=lems`, so this physician knows LEMS; otherwise the badge comes
   * with the details, the summary not naming conditions. */
  function result({ npi, display_name: name, primary_specialty: specialty, accepting_new_patients: accepting, location: loc, distance }, lemsSearch) {
    const badges = el('ul', { class: 'plw-badges' },
      accepting ? el('li', { class: 'plw-badge plw-badge-accepting' }, t.accepting) : null,
      lemsSearch ? lemsBadge() : null);
    badges.hidden = badges.childElementCount === 0;
    const a = loc.address;
    const { button, region } = details(npi, name, badges, lemsSearch);
    return el('li', { class: 'plw-result', 'data-npi': npi, 'data-distance': distance },
      el('div', { class: 'plw-result-head' },
        el('h2', { class: 'plw-name', tabindex: -1 }, name),
        distance === null ? null : el('span', { class: 'plw-distance' }, t.away(decimal.format(distance)))),
      el('p', { class: 'plw-specialties' }, specialty.name),
      badges,
      el('address', { class: 'plw-address' },
        el('span', { class: 'plw-practice' }, loc.practice_name),
        el('span', {}, a.street),
        el('span', {}, `${a.city}, ${a.state} ${a.zip}`)),
      el('p', { class: 'plw-actions' },
        el('a', { class: 'plw-action', href: telHref(loc.phone) }, `${t.call} ${loc.phone}`),
        el('a', { class: 'plw-action', href: directionsHref(loc), target: '_blank', rel: 'noopener noreferrer' },
          t.directions, el('span', { class: 'plw-visually-hidden' }, ` ${t.newTab}`)),
        button),
      region);
  }

  /** The button that opens a result, and the region it opens: every
   * specialty, the conditions treated and the languages spoken, from
   * `/v1/physicians/{npi}`, fetched the first time it is opened. A physician
   * who knows LEMS then gets the badge, unless the search already gave it. */
  function details(npi, name, badges, lemsSearch) {
    const id = `plw-details-${++detailsShown}`;
    const region = el('div', { class: 'plw-details', id });
    region.hidden = true;
    // Named for the physician too: a screen reader's list of buttons holds one per result.
    const button = el('button', {
      class: 'plw-action plw-details-toggle', type: 'button', 'aria-expanded': 'false', 'aria-controls': id,
      'aria-label': `${t.details}: ${name}`,
    }, t.details);
    let loaded = null; // the fetch, once started
    button.addEventListener('click', async () => {
      const open = button.getAttribute('aria-expanded') !== 'true';
      button.setAttribute('aria-expanded', String(open));
      region.hidden = !open;
      if (!open || loaded) return;
      region.replaceChildren(el('p', { class: 'plw-hint' }, t.loadingDetails));
      loaded = api(`/v1/physicians/${encodeURIComponent(npi)}`);
      try {
        const p = await loaded;
        const fact = (label, values) => (values.length ? [el('dt', {}, label), el('dd', {}, listFormat.format(values))] : []);
        region.replaceChildren(el('dl', { class: 'plw-facts' },
          ...fact(t.specialties, p.specialties.map((s) => s.name)),
          ...fact(t.conditions, p.conditions.map((c) => c.name)),
          ...fact(t.languages, p.languages.map((code) => languageNames.of(code) || code))));
        if (!lemsSearch && p.conditions.some((c) => c.slug === LEMS)) {
          badges.append(lemsBadge());
          badges.hidden = false;
        }
      } catch {
        loaded = null; // opening it again tries again
        region.replaceChildren(el('p', { class: 'plw-hint' }, t.detailsFailed));
      }
    });
    return { button, region };
  }

  // --- Start -----------------------------------------------------------------

  translate();
  applyAccent(url.get('accent'));
  fillRadii(url.get('radius'));
  lems.checked = url.get('condition') === LEMS;
  place.value = url.get('zip') || '';
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit(true);
  });
  moreButton.addEventListener('click', more);
  widenButton.addEventListener('click', widen);
  flagFictional();
  fillSpecialties(url.get('specialty')).then(() => {
    if (place.value.trim()) submit(false);
  });
})();
