import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './styles.css';
import { adoptFragmentKey } from './api/auth';
import { App } from './App';

// Before anything renders or requests: `#key=...` moves into sessionStorage.
adoptFragmentKey(window.location, window.history, window.sessionStorage);

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
