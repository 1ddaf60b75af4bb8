// Package virtomizesim is an in-memory simulator of the Virtomize appliance
// REST API (/rest/v1), for trying the CLI without an appliance and for tests.
//
// It serves every operation of the appliance reference at the documented
// method and path, with the documented parameter names, result fields and
// error document:
//
//	{"errors": ["missing parameter: name"], "timestamp": <unix ns>, "statuscode": 400, "instance": "/operatingsystems"}
//
// Requests are form-encoded (application/x-www-form-urlencoded) as in the
// reference's curl examples: arrays as name[0]=a&name[1]=b, booleans as true
// or false, timestamps as Unix nanoseconds. A token comes from /token (GET
// with a query, or POST with a form) with client_id and client_secret being an
// appliance user's name and password; every other call except GET / needs
// "Authorization: Bearer <token>". /destroy revokes a token.
//
// State is kept per Server, guarded by one mutex, and can be saved and
// restored through /backup. Server.Operations lists the operations served.
//
// # Behaviour the reference does not state
//
// The reference lists parameters and result fields but is silent on the
// following; the simulator chooses:
//
//   - Status codes. Every success is 200 (operations whose result has a
//     statuscode field report 200 there too). Errors: 400 invalid or missing
//     parameters (a path key that is not an integer included) and references
//     in the body to records that do not exist
//     (all problems of a request are listed together); 401 missing, unknown,
//     expired or revoked token and wrong credentials (with a WWW-Authenticate
//     header); 403 missing permission, exceeded resource contingent or
//     licence; 404 unknown path or unknown key in the path; 405 known path,
//     other method (with an Allow header); 409 conflicts with the current
//     state (duplicate names, deleting something still referenced, acting on
//     a machine that is not deployed or is installing); 413 for bodies over
//     32 MiB; 415 for content types other than form, multipart and (for
//     backups) octet-stream. The error document's instance is the path below
//     /rest/v1.
//   - Parameters are strict: unknown parameters, a scalar sent twice, an array
//     sent without indices, non-integers for int fields and anything but true
//     or false for booleans are 400. A bare "name=" with an empty value is an
//     explicit empty array. A key repeated in the body (the reference lists
//     path keys among the parameters) must equal the path's. Empty required
//     strings count as missing. Parameters are read from the body only, except
//     for GET /token, which reads the query.
//   - PUT replaces required fields; optional fields that are not sent keep
//     their values. Keys are integers from 1, per collection, never reused.
//   - Tokens: grant_type (or the reference's spelling grand_type) may be
//     omitted but must be client_credentials when sent; HTTP Basic credentials
//     are accepted when the form has none; tokens live Options.TokenTTL
//     (default 3600 s) and are answered as {access_token, expires_in,
//     token_type: "Bearer"}. GET /token is served but is not in the operation
//     list. /destroy takes access_token from the form or else from the
//     Authorization header, answers {"message": ...} and 401 for a token it
//     does not know. Deleting or renaming a user affects its tokens
//     accordingly; a restored backup invalidates tokens of users it lacks.
//   - Users and permissions: the built-in administrator (Options.Username,
//     group admin) cannot be deleted or lose the admin group. Permissions are
//     "<collection>:read" and "<collection>:write"; GET needs read, other
//     methods write (POST /logs needs logs:read). GET /, /version, /eula and
//     /users/current need no permission. Groups: admin, clusteradmin,
//     systemadmin, useradmin, viewer, vmoperator. New users have none.
//     Passwords are stored salted and hashed and never returned.
//   - GET / answers {"version": ..., "paths": [{"method", "path"}, ...]}.
//   - The operating system catalogue and the permission groups are built in
//     and present without Options.Seed. Owners of machines are user groups.
//   - Referential rules: clusters need existing credentials, defaults and
//     callbacks; networks an existing cluster, a valid cidr (a network
//     without dhcp needs cidr or ipreservation) and an ipreservation inside
//     the cidr; profiles and machines an existing operating system and cluster,
//     a datastore of that cluster or "auto", and hardware at least the
//     operating system's minimum; profile networks and machine interfaces must
//     be on the same cluster. Deleting callbacks, credentials, defaults,
//     clusters, networks and user groups that are referenced is a 409; deleting
//     a user removes it from groups and deletes its notification filters.
//   - Sizes (ram, disc, limits) are numbers with an optional unit B, K, KB,
//     KiB, M, MB, MiB, G, GB, GiB, T, TB or TiB (binary multiples); a bare
//     number means MB.
//   - Capacity: with a licence installed, machines beyond its
//     virtualmachines count or after it expires are refused (403); without
//     one, nothing is limited. A user group's resource contingent limits the
//     count, CPUs, memory and disc of the machines it owns (403).
//   - Licences: any key of at least 16 letters, digits and dashes is
//     accepted; it grants 100 machines for one year from installation, and
//     the customer id is derived from the key. GET and DELETE answer 404 when
//     none is installed.
//   - Installation: POST /virtualmachines/:key/install needs at least one
//     interface (409 otherwise) and a password, when given, in sha-512 crypt
//     form ($6$...). It stores the installation parameters (readable at
//     /virtualmachines/parameter/:key) and starts the install; every GET
//     /virtualmachines/:key/info then counts as a poll, and the poll that
//     reaches Options.InstallPolls (default 3; negative completes at once)
//     finishes it: the machine is deployed, powered on and every interface
//     without an address gets the network's next free one, all visible in
//     that poll's answer. POST /profiles/:key/createvirtualmachine creates the
//     machine with the profile's interfaces and starts its installation the
//     same way, answering status "installing".
//   - Power states are "poweredOn" and "poweredOff"; machines that are not
//     deployed report poweredOff. Info lists addresses only while the machine
//     is powered on. Power actions need a deployed machine; repeating one is
//     not an error.
//   - Free addresses come from ipreservation, else cidr (a DHCP network with
//     neither uses 172.16.<key mod 256>.0/24): the lowest address that is not
//     the subnet's network or broadcast address, the gateway, the DNS server or
//     an interface's address; 409 when none is left. An interface added to a
//     deployed machine without an ip gets one at once.
//   - GET /virtualmachinenetworks/:key takes a machine key and answers the
//     machine's interfaces as an array, as the reference describes; PUT and
//     DELETE take an interface key, and DELETE's vmkey must be its machine's
//     (404 otherwise). MAC addresses default to a random 00:50:56 address.
//   - Taking a snapshot needs a deployed machine. Keys count from 1 per machine, id is
//     "snapshot-<vm>-<key>", path is the chain of names from the root, a new
//     snapshot becomes current. A snapshot records the hardware and power
//     state; restoring brings back the hardware and leaves the machine
//     powered off unless memory was included; updatehardware copies the
//     current hardware into the listed snapshots. Deleting a snapshot moves its
//     children to its parent.
//   - Clusters carry a simulated hypervisor: datastores, port groups, a
//     datacenter, resource pool and host, and machines not in the inventory.
//     GET /clusters/:key/import lists those plus deployed inventory machines;
//     POST imports named ones (deployed, with interfaces on networks of the
//     same name and their addresses). networksync creates a DHCP network for
//     every unknown port group and answers {"networkstatus": [{name, key,
//     status: created|exists}]}; synchronize copies the hypervisor's defaults
//     into the cluster's defaults (creating and linking them if needed) and
//     answers their key; imagesync answers one synchronized image per
//     operating system.
//   - Cluster credentials tests succeed unless the URL's host ends in
//     ".invalid" (400). Callbacks must be http(s) URLs; they are stored but
//     never called.
//   - POST /logs answers {"logs": [{timestamp, service, level, message}]}
//     from an in-memory log of the simulator's own actions (services core,
//     inventory, integrator, configurator, ipxebuilder, logcollector,
//     notification; levels debug, info, warning, error, critical);
//     pseudonymization replaces user and machine names with "pseudo-<hash>".
//   - Settings: installtimeout accepts nanoseconds or a duration such as 40m;
//     log levels are trace, debug, info, warning, error, fatal or panic and are
//     shared between /setting and /servicesettings; DELETE resets to defaults
//     (40m, info). The notification password is stored but never returned.
//   - Updates: the appliance runs CurrentVersion and AvailableVersion is
//     offered; POST /update answers scheduled true and the update applies at
//     once, so /version and GET /update then report the new version.
//   - Backups are gzip-compressed tar archives holding virtomize/state.json
//     (everything except tokens, logs and the software version), downloaded as
//     application/octet-stream with a Content-Disposition filename. Restore
//     takes the multipart field "backup" as in the reference, or a raw
//     application/octet-stream body, and replaces the whole state.
//   - Paths other than /rest/v1 and below answer 404 in the same error format.
package virtomizesim
