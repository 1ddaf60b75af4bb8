// Package jotelulusim is an in-memory simulator of the Jotelulu public API,
// meant to be mounted on an httptest server or run by the sandbox command.
//
// # What is documented and what is not
//
// The simulator serves every operation of its table (by default its own,
// see Operations, written from the published evidence and independent of the
// client's table, so that tests can compare the two) at that operation's
// method and path. Only six of those method and path pairs are documented;
// the rest are inferred, and the table says which is which. Passing a modified table through Options.Ops, naming
// "METHOD /path" per operation id in Options.PathOverrides, or calling Move
// at run time moves routes (the old route stops answering): that is how a
// vendor OpenAPI document that moves an inferred path is simulated.
//
// Documented conventions that the simulator follows:
//   - Authorization: Bearer <JWT>. MakeToken builds a well-formed unsigned JWT
//     with sub and exp claims. When Options.Token is set, only that exact token
//     is accepted; when it is empty, any well-formed token is. In both cases a
//     token whose exp is not after Options.Now is rejected.
//   - Every answer is an envelope {"data": ..., "meta": {"correlationId":
//     "<uuid>", "timestamp": "<RFC 3339>"}} and every identifier is a string.
//   - Write requests (POST, PUT, PATCH) must send {"data": {...}, "meta":
//     {"requestId": "...", "timestamp": "<RFC 3339>"}}; anything else is a 400.
//     A DELETE may omit the body; if it sends one, it must be an envelope too.
//
// Inferred, not documented: the error shape. Errors are answered as
// {"errors": [{"code": "...", "message": "...", "field": "..."}], "meta":
// {...}} with status 400 (malformed envelope or invalid fields, one entry per
// problem), 401 (missing, wrong or expired token), 404 (unknown route or
// object), 405 (known path, other method), 409 (state conflicts such as
// deleting a firewall rule through the delete operation of the other
// protocol) and 501 (an operation id in the table that the simulator does not
// implement). Request bodies are checked against the Body fields of the
// table: unknown fields, missing required fields, wrong JSON types and values
// outside an enum are rejected.
//
// # Asynchronous operations
//
// createremotedesktopsubscription, retryfailedinstance,
// createinstanceapplication and updateinstanceapplication start work that
// finishes only after Options.ProgressSteps polls (default 3):
//   - A remote desktop instance in state "creating" advances one step on each
//     getinstanceprogress call for it; at the last step it becomes "deployed",
//     or "error" when Options.FailNext returned true for the operation that
//     started it. Its subscription's state follows its instances.
//   - An instance application in state "installing" or "updating" advances one
//     step on each getinstanceprogress call for its instance and on each
//     listsubscriptionapplications call for its subscription; it ends
//     "installed", or "failed" under failure injection.
//   - retryfailedinstance puts an "error" instance back to "creating".
//
// Options.FailNext is consulted once, with the operation id, when such an
// operation starts. It is called while the simulator holds its lock and must
// not call back into the Server. The FailNext method arms the same failure
// for the next call of one operation only (for example to make a retry fail
// once), without a callback.
//
// # Sample data
//
// With Options.Seed the simulator starts with organization "Acme" (SeedOrgID)
// and its users; two server subscriptions, the first with two instances, two
// isolated networks (one with an interface per instance, one empty), a public
// IP and a TCP and an ICMP firewall rule; a deployed remote desktop
// subscription with one instance, one remote desktop user and one installed
// application; and the application catalog and tags. The Seed* constants give
// their ids. Options.SecondOrg adds another organization also named "Acme",
// so that resolving organizations by name becomes ambiguous.
package jotelulusim
