// Example actions for `canopy run --actions examples/actions.js`: async, cancellable.
// Settles on the next turn of the event loop, so the node is RUNNING for exactly one tick.
const settle = (signal, value) =>
  new Promise((resolve, reject) => {
    const timer = setImmediate(() => resolve(value));
    signal.addEventListener('abort', () => {
      clearImmediate(timer);
      reject(new Error('cancelled'));
    });
  });

let forumCalls = 0;

module.exports = {
  // The forum is flaky: it fails every other call, so `retry` has something to do.
  search: ({ source }, { signal }) =>
    settle(signal, source !== 'forum' || forumCalls++ % 2 === 1),
  summarize: (_args, { signal }) => settle(signal, 'SUCCESS'),
};
