// Peer: @docsearch/js (an in-page help search), rendering its search
// button; it needs the network only once someone types.
import docsearch from '@docsearch/js';
import '@docsearch/css';

const container = document.createElement('div');
document.body.appendChild(container);
docsearch({ container, appId: 'BENCH', apiKey: 'bench-offline', indices: ['bench'] });
