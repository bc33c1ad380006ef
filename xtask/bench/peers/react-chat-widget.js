// Peer: react-chat-widget (a chat/support widget) with React 17, as a
// product team would embed it: one bundle that renders the launcher.
import React from 'react';
import ReactDOM from 'react-dom';
import { Widget } from 'react-chat-widget';
import 'react-chat-widget/lib/styles.css';

const root = document.createElement('div');
document.body.appendChild(root);
ReactDOM.render(React.createElement(Widget, { title: 'Help', subtitle: 'Ask us anything' }), root);
