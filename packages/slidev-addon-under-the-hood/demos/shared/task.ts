/**
 * Yielding to the browser between steps of a long computation, so that it can draw the step and take
 * input. A new task (a MessageChannel message), not an animation frame or a timer: those are slowed to
 * about one a second in a window that is not in front (the presenter's laptop window while the projector
 * window has the focus), which would make a 30-step generation take half a minute there.
 */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const c = new MessageChannel()
    c.port1.onmessage = () => {
      c.port1.close()
      resolve()
    }
    c.port2.postMessage(null)
  })
}
