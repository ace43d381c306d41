//  security — who may connect to heal's sockets (include/heal/security.h).
//
//  The rules, applied to every bind and connect (and by -n, through
//  heal_secure_check, without touching the network):
//  - ipc: the socket file lives in a directory owned by the effective user and
//    closed to group and others (created 0700 when absent); the socket file
//    itself is made 0600 right after bind. Abstract sockets (ipc://@name) have
//    no permissions at all, so they are refused.
//  - tcp, loopback included (any local user can connect to a loopback port):
//    CURVE, or plain on loopback only when the config says
//    `security/allow_unauthenticated_tcp = true`; on any other address CURVE
//    or nothing. A bind names an address (127.0.0.1, [::1]), never a host or
//    interface name (ZeroMQ does not resolve names to bind). The server side
//    loads its certificate (czmq zcert format: FILE holds the public key,
//    FILE_secret the secret key) and a zauth actor checks every client key
//    against the certificates in the clients directory. A client needs its own
//    certificate and the server's public key.
//
//  Config (section `security`, see docs/security in docs/healctl.md):
//    server_cert   = "/path/server.cert"   (agent; server.cert_secret beside it)
//    clients_dir   = "/path/clients"       (agent; public certs of allowed clients)
//    client_cert   = "/path/client.cert"   (healctl, diagnoser; + client.cert_secret)
//    server_public = "/path/server.cert"   (clients; the server's public cert;
//                                           defaults to server_cert when set)
//    allow_unauthenticated_tcp = true      (plain tcp on loopback: every local
//                                           user may command heal and push)

#include "heal/security.h"
#include "heal/util.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

//  Longest ipc path we accept (sun_path is 104 bytes on macOS, 108 on Linux).
#define SECURITY_MAX_IPC_PATH 103

struct heal_security_t {
    zactor_t *auth;             //  zauth, only when CURVE is configured
    zcert_t *server_cert;       //  with secret key, NULL without CURVE
    bool allow_plain;           //  security/allow_unauthenticated_tcp
};

//  A czmq zcert that failed to load a secret has an all-zero secret key.
static bool
s_cert_has_secret (zcert_t *cert)
{
    const byte *key = zcert_secret_key (cert);
    for (int i = 0; i < 32; i++)
        if (key [i])
            return true;
    return false;
}

//  The secret half of a czmq certificate must not be readable by others.
static int
s_check_secret_file (const char *cert_path, char *err, size_t errlen)
{
    char secret [4096];
    int n = snprintf (secret, sizeof secret, "%s_secret", cert_path);
    if (n < 0 || (size_t) n >= sizeof secret) {
        snprintf (err, errlen, "security: certificate path too long: %s", cert_path);
        return -1;
    }
    struct stat st;
    if (stat (secret, &st) != 0) {
        snprintf (err, errlen, "security: %s: %s (a czmq certificate keeps its "
                  "secret key in FILE_secret)", secret, strerror (errno));
        return -1;
    }
    if (st.st_uid != geteuid ()) {
        snprintf (err, errlen, "security: %s: owned by uid %u, not by us",
                  secret, (unsigned) st.st_uid);
        return -1;
    }
    if (st.st_mode & 0077) {
        snprintf (err, errlen, "security: %s: readable by others (chmod 600 %s)",
                  secret, secret);
        return -1;
    }
    return 0;
}

//  Load a certificate that must carry its secret key. NULL + err on failure.
static zcert_t *
s_load_secret_cert (const char *path, const char *what, char *err, size_t errlen)
{
    if (s_check_secret_file (path, err, errlen))
        return NULL;
    zcert_t *cert = zcert_load (path);
    if (!cert) {
        snprintf (err, errlen, "security: %s %s: cannot load certificate", what, path);
        return NULL;
    }
    if (!s_cert_has_secret (cert)) {
        snprintf (err, errlen, "security: %s %s: no secret key in %s_secret",
                  what, path, path);
        zcert_destroy (&cert);
        return NULL;
    }
    return cert;
}

//  A key of the `security` section (or its alias `curve`): the parsed field
//  when config filled it, else the parse tree. Borrowed; NULL when unset.
static const char *
s_key (const heal_config_t *config, const char *field, const char *key)
{
    if (field && *field)
        return field;
    if (!config || !config->root)
        return NULL;
    char path [64];
    snprintf (path, sizeof path, "security/%s", key);
    const char *value = zconfig_get (config->root, path, NULL);
    if (!value || !*value) {
        snprintf (path, sizeof path, "curve/%s", key);
        value = zconfig_get (config->root, path, NULL);
    }
    return value && *value ? value : NULL;
}

//  The server's public certificate for clients: `server_public`, falling back
//  to `server_cert` when both ends run on one machine.
static const char *
s_server_public_path (const heal_config_t *config)
{
    const char *value = s_key (config, NULL, "server_public");
    return value ? value : s_key (config, config ? config->curve_server_cert : NULL,
                                  "server_cert");
}

//  security/allow_unauthenticated_tcp (validated as a boolean by the loader).
static bool
s_allow_plain (const heal_config_t *config)
{
    const char *value = s_key (config, NULL, "allow_unauthenticated_tcp");
    return value && (streq (value, "true") || streq (value, "yes") || streq (value, "1")
                     || streq (value, "on"));
}

//  The host of a tcp endpoint (no brackets) into host; ipv6 when bracketed.
static int
s_tcp_host (const char *endpoint, char *host, size_t len, bool *ipv6)
{
    const char *address = endpoint + 6;
    const char *colon = strrchr (address, ':');
    if (!colon)
        return -1;
    size_t hlen = (size_t) (colon - address);
    *ipv6 = hlen >= 2 && address [0] == '[' && address [hlen - 1] == ']';
    if (*ipv6) {
        address++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= len)
        return -1;
    memcpy (host, address, hlen);
    host [hlen] = 0;
    return 0;
}

//  The policy for one endpoint, without touching the network. curve: this
//  side has its CURVE keys configured. Returns 0, or -1 with err set.
static int
s_policy (const char *endpoint, bool bind, bool curve, bool allow_plain,
          char *err, size_t errlen)
{
    if (!endpoint || !*endpoint) {
        snprintf (err, errlen, "no endpoint");
        return -1;
    }
    char why [256] = "";
    if (!heal_endpoint_valid (endpoint, why, sizeof why)) {
        snprintf (err, errlen, "%s", why);
        return -1;
    }
    if (strncmp (endpoint, "ipc://", 6) == 0 && (endpoint [6] == '@' || endpoint [6] == 0)) {
        snprintf (err, errlen, "abstract sockets have no permissions; use a path "
                  "in a 0700 directory");
        return -1;
    }
    if (strncmp (endpoint, "tcp://", 6) != 0)
        return 0;
    char host [256];
    bool ipv6 = false;
    if (s_tcp_host (endpoint, host, sizeof host, &ipv6)) {
        snprintf (err, errlen, "tcp endpoint needs host:port");
        return -1;
    }
    struct in_addr a4;
    struct in6_addr a6;
    bool numeric = ipv6 ? inet_pton (AF_INET6, host, &a6) == 1
                        : inet_pton (AF_INET, host, &a4) == 1;
    if (bind && !numeric && !streq (host, "*")) {
        snprintf (err, errlen, "a bind needs an address, not the name '%s' "
                  "(ZeroMQ does not resolve names to bind): write 127.0.0.1 or [::1]",
                  host);
        return -1;
    }
    if (ipv6 && numeric && IN6_IS_ADDR_V4MAPPED (&a6)) {
        snprintf (err, errlen, "'%s' is an IPv4 address in IPv6 clothing: write it "
                  "as IPv4 (127.0.0.1)", host);
        return -1;
    }
    if (curve)
        return 0;
    bool loopback = heal_endpoint_is_local (endpoint) && (numeric || !bind);
    if (!loopback) {
        snprintf (err, errlen, "not a loopback address: refused without CURVE "
                  "(set security/%s)", bind ? "server_cert and security/clients_dir"
                                            : "client_cert and security/server_public");
        return -1;
    }
    if (!allow_plain) {
        snprintf (err, errlen, "plain tcp, even on loopback, lets every local user "
                  "%s: use ipc, or CURVE (security/%s), or say so with "
                  "security/allow_unauthenticated_tcp = true",
                  bind ? "command heal and push into its bus" : "impersonate the agent",
                  bind ? "server_cert and clients_dir" : "client_cert and server_public");
        return -1;
    }
    return 0;
}

//  For an existing ipc socket directory: ours and closed to others. Absent
//  is fine (the bind creates it 0700). 0 or -1 with err.
static int s_ipc_dir_check (const char *path, bool create, char *err, size_t errlen);

int
heal_secure_check (const heal_config_t *config, const char *endpoint, bool bind,
                   char *err, size_t errlen)
{
    bool curve;
    if (bind)
        curve = s_key (config, config ? config->curve_server_cert : NULL, "server_cert")
             && s_key (config, config ? config->curve_clients_dir : NULL, "clients_dir");
    else
        curve = s_key (config, config ? config->curve_client_cert : NULL, "client_cert")
             && s_server_public_path (config);
    if (s_policy (endpoint, bind, curve, s_allow_plain (config), err, errlen))
        return -1;
    if (bind && strncmp (endpoint, "ipc://", 6) == 0)
        return s_ipc_dir_check (endpoint + 6, false, err, errlen);
    return 0;
}

heal_security_t *
heal_security_new (const heal_config_t *config, char *err, size_t errlen)
{
    heal_security_t *self = (heal_security_t *) zmalloc (sizeof (heal_security_t));
    if (!self) {
        snprintf (err, errlen, "security: out of memory");
        return NULL;
    }
    const char *server_cert = s_key (config, config ? config->curve_server_cert : NULL,
                                     "server_cert");
    const char *clients_dir = s_key (config, config ? config->curve_clients_dir : NULL,
                                     "clients_dir");
    self->allow_plain = s_allow_plain (config);
    if (!server_cert)
        return self;            //  no CURVE: ipc (and plain loopback when allowed)

    if (!clients_dir) {
        snprintf (err, errlen, "security: server_cert is set but clients_dir is not: "
                  "refusing to accept any client key");
        goto fail;
    }
    struct stat st;
    if (stat (clients_dir, &st) != 0 || !S_ISDIR (st.st_mode)) {
        snprintf (err, errlen, "security: clients_dir %s: not a directory", clients_dir);
        goto fail;
    }
    if (st.st_uid != geteuid () || (st.st_mode & 0022)) {
        snprintf (err, errlen, "security: clients_dir %s: must be owned by us and "
                  "not writable by others (chmod 700 %s)", clients_dir, clients_dir);
        goto fail;
    }
    self->server_cert = s_load_secret_cert (server_cert, "server_cert",
                                            err, errlen);
    if (!self->server_cert)
        goto fail;

    self->auth = zactor_new (zauth, NULL);
    if (!self->auth) {
        snprintf (err, errlen, "security: cannot start the zauth actor");
        goto fail;
    }
    //  Every CURVE client key must be one of the certificates in clients_dir.
    if (zstr_sendx (self->auth, "CURVE", clients_dir, NULL)
    ||  zsock_wait (self->auth) != 0) {
        snprintf (err, errlen, "security: zauth refused clients_dir %s", clients_dir);
        goto fail;
    }
    return self;

fail:
    heal_security_destroy (&self);
    return NULL;
}

void
heal_security_destroy (heal_security_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    heal_security_t *self = *self_p;
    zactor_destroy (&self->auth);
    zcert_destroy (&self->server_cert);
    free (self);
    *self_p = NULL;
}

//  Directory part of an ipc path into dir (dirlen bytes). "." when none.
static int
s_ipc_dir (const char *path, char *dir, size_t dirlen)
{
    const char *slash = strrchr (path, '/');
    if (!slash) {
        snprintf (dir, dirlen, ".");
        return 0;
    }
    size_t len = (size_t) (slash - path);
    if (len == 0)
        len = 1;                //  "/sock": the root directory
    if (len >= dirlen)
        return -1;
    memcpy (dir, path, len);
    dir [len] = 0;
    return 0;
}

//  Make sure the directory of an ipc socket is ours and closed to others
//  (created 0700 when absent and create is set).
static int
s_ipc_dir_check (const char *path, bool create, char *err, size_t errlen)
{
    if (*path == '@' || *path == 0) {
        snprintf (err, errlen, "security: ipc://%s: abstract sockets have no "
                  "permissions; use a path in a 0700 directory", path);
        return -1;
    }
    if (strlen (path) > SECURITY_MAX_IPC_PATH) {
        snprintf (err, errlen, "security: ipc://%s: path longer than %d bytes",
                  path, SECURITY_MAX_IPC_PATH);
        return -1;
    }
    char dir [SECURITY_MAX_IPC_PATH + 2];
    if (s_ipc_dir (path, dir, sizeof dir)) {
        snprintf (err, errlen, "security: ipc://%s: bad path", path);
        return -1;
    }
    struct stat st;
    if (lstat (dir, &st) != 0) {
        if (errno == ENOENT && !create)
            return 0;
        if (errno != ENOENT || heal_mkdir_p (dir, 0700) != 0
        ||  lstat (dir, &st) != 0) {
            snprintf (err, errlen, "security: cannot create %s: %s", dir, strerror (errno));
            return -1;
        }
    }
    if (!S_ISDIR (st.st_mode)) {
        snprintf (err, errlen, "security: %s: not a directory", dir);
        return -1;
    }
    if (st.st_uid != geteuid ()) {
        snprintf (err, errlen, "security: %s: owned by uid %u, not by us: refusing "
                  "to put a socket there", dir, (unsigned) st.st_uid);
        return -1;
    }
    if (st.st_mode & 0077) {
        snprintf (err, errlen, "security: %s: mode %03o is open to others: refusing "
                  "to put a socket there (chmod 700 %s)", dir,
                  (unsigned) (st.st_mode & 0777), dir);
        return -1;
    }
    return 0;
}

int
heal_secure_bind (heal_security_t *self, zsock_t *sock, const char *endpoint,
                  char *err, size_t errlen)
{
    assert (sock);
    bool curve = self && self->server_cert;
    char why [384] = "";
    if (s_policy (endpoint, true, curve, self && self->allow_plain, why, sizeof why)) {
        snprintf (err, errlen, "security: %s: %s", endpoint ? endpoint : "(none)", why);
        return -1;
    }
    bool ipc = strncmp (endpoint, "ipc://", 6) == 0;
    bool tcp = strncmp (endpoint, "tcp://", 6) == 0;
    if (ipc && s_ipc_dir_check (endpoint + 6, true, err, errlen))
        return -1;
    if (tcp && strchr (endpoint + 6, '['))
        zsock_set_ipv6 (sock, 1);
    if (tcp && curve) {
        //  CURVE on every tcp endpoint, loopback included: any local user
        //  can reach a loopback port.
        zcert_apply (self->server_cert, sock);
        zsock_set_curve_server (sock, 1);
    }
    if (zsock_bind (sock, "%s", endpoint) == -1) {
        snprintf (err, errlen, "security: cannot bind %s: %s", endpoint,
                  zmq_strerror (zmq_errno ()));
        return -1;
    }
    //  The directory already keeps others out; 0600 says so on the file too.
    if (ipc && chmod (endpoint + 6, 0600) != 0) {
        snprintf (err, errlen, "security: chmod 600 %s: %s", endpoint + 6,
                  strerror (errno));
        zsock_unbind (sock, "%s", endpoint);
        return -1;
    }
    return 0;
}

int
heal_secure_connect (const heal_config_t *config, void *sock,
                     const char *endpoint, char *err, size_t errlen)
{
    assert (sock);
    const char *server_path = s_server_public_path (config);
    const char *client_cert = s_key (config, config ? config->curve_client_cert : NULL,
                                     "client_cert");
    bool curve = client_cert && server_path;
    char why [384] = "";
    if (s_policy (endpoint, false, curve, s_allow_plain (config), why, sizeof why)) {
        snprintf (err, errlen, "security: %s: %s", endpoint ? endpoint : "(none)", why);
        return -1;
    }
    if (strncmp (endpoint, "tcp://", 6) == 0 && strchr (endpoint + 6, '['))
        zsock_set_ipv6 (sock, 1);
    if (strncmp (endpoint, "tcp://", 6) == 0 && curve) {
        zcert_t *client = s_load_secret_cert (client_cert, "client_cert",
                                              err, errlen);
        if (!client)
            return -1;
        zcert_t *server = zcert_load (server_path);
        if (!server) {
            snprintf (err, errlen, "security: server_public %s: cannot load certificate",
                      server_path);
            zcert_destroy (&client);
            return -1;
        }
        zcert_apply (client, sock);
        zsock_set_curve_serverkey (sock, zcert_public_txt (server));
        zcert_destroy (&client);
        zcert_destroy (&server);
    }
    if (zmq_connect (zsock_resolve (sock), endpoint) == -1) {
        snprintf (err, errlen, "security: cannot connect %s: %s", endpoint,
                  zmq_strerror (zmq_errno ()));
        return -1;
    }
    return 0;
}

//  `FILE: section: key 'key': why` for the preflight.
static int
s_preflight_error (const heal_config_t *config, const char *section, const char *key,
                   const char *why, char *err, size_t errlen)
{
    heal_keys_ctx_t ctx = { .file = config ? config->file : NULL, .where = section };
    heal_keys_error (&ctx, key, err, errlen, "%s", why);
    return -1;
}

int
heal_preflight (const heal_config_t *config, int uses, char *err, size_t errlen)
{
    char why [CONFIG_ERROR_MAX / 2] = "";
    if (!config)
        return s_preflight_error (NULL, NULL, NULL, "no config", err, errlen);
    struct {
        int use;
        bool bind;
        const char *endpoint, *section, *key;
    } ends [] = {
        { HEAL_USE_AGENT, true, config->publish, "bus", "publish" },
        { HEAL_USE_AGENT, true, config->inbound, "bus", "inbound" },
        { HEAL_USE_AGENT, true, config->control, "control", "endpoint" },
        { HEAL_USE_CONTROL, false, config->control, "control", "endpoint" },
        { HEAL_USE_SUBSCRIBE, false, config->publish, "bus", "publish" },
        { HEAL_USE_PUSH, false, config->inbound, "bus", "inbound" },
    };
    for (size_t i = 0; i < sizeof ends / sizeof ends [0]; i++) {
        if (!(uses & ends [i].use))
            continue;
        if (heal_secure_check (config, ends [i].endpoint, ends [i].bind, why, sizeof why))
            return s_preflight_error (config, ends [i].section, ends [i].key, why,
                                      err, errlen);
    }
    if (uses & HEAL_USE_AGENT) {
        if (heal_state_dir_check (config->state_dir, false, why, sizeof why))
            return s_preflight_error (config, "agent", "state_dir", why, err, errlen);
        //  The server keys, loaded as the agent loads them at start.
        heal_security_t *security = heal_security_new (config, why, sizeof why);
        if (!security)
            return s_preflight_error (config, "security", NULL, why, err, errlen);
        heal_security_destroy (&security);
    }
    if (uses & (HEAL_USE_CONTROL | HEAL_USE_SUBSCRIBE | HEAL_USE_PUSH)) {
        //  The client keys, when this side uses CURVE.
        const char *client_cert = s_key (config, config->curve_client_cert, "client_cert");
        const char *server_path = s_server_public_path (config);
        if (client_cert && server_path) {
            zcert_t *client = s_load_secret_cert (client_cert, "client_cert", why, sizeof why);
            if (!client)
                return s_preflight_error (config, "security", "client_cert", why,
                                          err, errlen);
            zcert_destroy (&client);
            zcert_t *server = zcert_load (server_path);
            if (!server)
                return s_preflight_error (config, "security", "server_public",
                                          "cannot load the certificate", err, errlen);
            zcert_destroy (&server);
        }
    }
    return 0;
}
