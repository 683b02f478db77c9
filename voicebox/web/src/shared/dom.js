// Building the DOM without a framework: h("button", {onclick}, "text"), and a screen's root.

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    // Through the CSSOM: the Content-Security-Policy refuses style attributes.
    else if (key === "style") Object.assign(el.style, value);
    else if (key === "value" || key === "checked" || key === "disabled") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  el.append(...children.flat(9).filter((child) => child != null && child !== false));
  return el;
}

export function mount(root, ...children) {
  root.replaceChildren(...children.flat(9).filter(Boolean));
}

export function field(label, props) {
  const id = props.id || `f-${label.replace(/\W+/g, "-")}-${Math.random().toString(36).slice(2, 7)}`;
  return h("p", { class: "field" }, h("label", { for: id }, label), h("input", { ...props, id }));
}

export function formValues(form) {
  return Object.fromEntries(new FormData(form));
}

// "1:05" for 65 000 ms.
export function clock(ms) {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}
