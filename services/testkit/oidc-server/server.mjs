// A real OIDC issuer for imgup-auth's tests: `node server.mjs PORT USER_JSON`
// serves discovery, /authorize (with PKCE), /token and /userinfo on
// 127.0.0.1:PORT, answering userinfo with USER_JSON. Prints "ready" when up.
import { OAuth2Server } from 'oauth2-mock-server';

const [port, user] = process.argv.slice(2);
const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
server.issuer.url = `http://127.0.0.1:${port}`;
server.service.on('beforeUserinfo', (response) => {
  response.body = JSON.parse(user);
});
await server.start(Number(port), '127.0.0.1');
console.log('ready');
