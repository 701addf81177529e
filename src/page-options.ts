// Options of the page's address, applied before <char-lm-demo> is defined (so before any
// element reads its attributes): `?engine=gpu|cpu|auto` sets the `engine` attribute of every
// element on the page, e.g. `/?engine=gpu` trains on a software WebGPU adapter that the
// automatic choice would leave for the CPU engine. A bad value is reported by the element.
const engine = new URLSearchParams(location.search).get('engine');
if (engine !== null) for (const el of document.querySelectorAll('char-lm-demo')) el.setAttribute('engine', engine);
