// oauth-spa-session is linked from the repository (file:../..), whose own node_modules has a copy of react for its
// tests: dedupe makes the binding and the app share this app's copy (an app installing from npm has one anyway).
export default { resolve: { dedupe: ['react', 'react-dom'] } };
