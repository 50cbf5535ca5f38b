import { useEffect, useState } from 'react';
import { storeKey, storedKey } from './api/auth';
import { onUnauthorized } from './api/client';
import { Link } from './components/Link';
import { ExecutionPage } from './pages/ExecutionPage';
import { ExecutionsPage } from './pages/ExecutionsPage';
import { TeamPage } from './pages/TeamPage';
import { useRoute } from './lib/router';

/** Asked once per session: when there is no key, or the gateway answered 401 to the one we have. */
function KeyPrompt({ reason, onDone }: { reason: string; onDone: () => void }) {
  const [key, setKey] = useState('');
  return (
    <div className="modal-backdrop">
      <form
        className="modal"
        onSubmit={(e) => {
          e.preventDefault();
          storeKey(sessionStorage, key.trim());
          onDone();
        }}
      >
        <h2>API key</h2>
        <p>{reason}</p>
        <p className="muted">
          <code>npm start</code> prints a Studio link with the key; it is kept for this browser tab only.
        </p>
        <input
          autoFocus
          type="password"
          aria-label="API key"
          placeholder="cnpy_…"
          value={key}
          onChange={(e) => setKey(e.target.value)}
        />
        <div className="row">
          <button type="submit" className="primary" disabled={!key.trim()}>
            Use this key
          </button>
          <button type="button" onClick={onDone}>
            Continue without
          </button>
        </div>
      </form>
    </div>
  );
}

export function App() {
  const route = useRoute();
  const [prompt, setPrompt] = useState<string | undefined>(() =>
    storedKey(sessionStorage) ? undefined : 'Studio needs an API key to talk to the gateway.',
  );
  // Remounts the pages once a new key is in, so they fetch again.
  const [generation, setGeneration] = useState(0);
  useEffect(
    () =>
      onUnauthorized(() =>
        setPrompt(
          storedKey(sessionStorage)
            ? 'The gateway did not accept the key (401). Enter another one.'
            : 'Studio needs an API key to talk to the gateway.',
        ),
      ),
    [],
  );
  return (
    <div className="app">
      <header className="topbar">
        <Link route={{ page: 'executions' }} className="brand">
          <span className="logo" aria-hidden="true" /> Canopy Studio
        </Link>
        <nav>
          <Link route={{ page: 'executions' }}>Executions</Link>
        </nav>
        <span className="spacer" />
        <button className="ghost" onClick={() => setPrompt('Enter an API key for this session.')}>
          Key…
        </button>
      </header>
      <main key={generation}>
        {route.page === 'executions' && <ExecutionsPage />}
        {route.page === 'execution' && <ExecutionPage key={route.id} id={route.id} />}
        {route.page === 'team' && <TeamPage key={route.team} team={route.team} />}
      </main>
      {prompt && (
        <KeyPrompt
          reason={prompt}
          onDone={() => {
            setPrompt(undefined);
            setGeneration((g) => g + 1);
          }}
        />
      )}
    </div>
  );
}
