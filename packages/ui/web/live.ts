import { h } from "./dom.ts"

/**
 * Follows a run or a search while it goes: the server sends `change` when the stored state moved
 * and `end` once it stopped; each calls `refresh`. The returned badge shows which it is and
 * carries `data-live` ("on" / "off") for whoever watches the page.
 */
export interface Live {
  readonly badge: HTMLElement
  readonly close: () => void
}

export const follow = (eventsPath: string, initiallyLive: boolean, refresh: () => Promise<void>): Live => {
  const badge = h("span", { class: "live", "data-live": "off" })
  const set = (on: boolean, text: string) => {
    badge.dataset.live = on ? "on" : "off"
    badge.textContent = text
  }
  if (!initiallyLive) {
    set(false, "finished · not updating")
    return { badge, close: () => {} }
  }
  set(true, "live")
  const source = new EventSource(eventsPath)
  let pending: Promise<void> = Promise.resolve()
  // Refreshes run one at a time; a change during one is picked up by the next.
  const queue = () => (pending = pending.then(refresh).catch((e) => console.error(e)))
  source.addEventListener("change", () => {
    badge.dataset.updated = String(Date.now())
    void queue()
  })
  source.addEventListener("end", () => {
    source.close()
    void queue().then(() => set(false, "finished · not updating"))
  })
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) set(false, "disconnected")
  }
  return { badge, close: () => source.close() }
}
