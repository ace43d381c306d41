//  test_security — bus/security.c against real sockets and files:
//  ipc directory and socket permissions, refusal of non-loopback tcp without
//  CURVE, and a CURVE round trip on this machine's own non-loopback address
//  (skipped, and said so, when the machine has none).

#include "heal/heal.h"

#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"


static char s_base [64];

static void
s_path (char *buf, size_t len, const char *name)
{
    snprintf (buf, len, "%s/%s", s_base, name);
}

//  Remove the test tree (small, known depth).
static void
s_cleanup (void)
{
    const char *names [] = {
        "run/ctl", "run", "open/ctl", "open", "keys/clients/client.cert",
        "keys/clients", "keys/server.cert", "keys/server.cert_secret",
        "keys/client.cert", "keys/client.cert_secret", "keys/stranger.cert",
        "keys/stranger.cert_secret", "keys", NULL
    };
    char path [256];
    for (int i = 0; names [i]; i++) {
        s_path (path, sizeof path, names [i]);
        if (unlink (path) != 0 && errno == EISDIR)
            rmdir (path);
        rmdir (path);
    }
    rmdir (s_base);
}

static void
s_test_ipc (void)
{
    char err [CONFIG_ERROR_MAX];
    char endpoint [300], dir [256], file [256];
    heal_security_t *security = heal_security_new (NULL, err, sizeof err);
    CHECKF (security, "heal_security_new (NULL): %s", err);

    //  A missing directory is created 0700, the socket made 0600.
    s_path (dir, sizeof dir, "run");
    s_path (file, sizeof file, "run/ctl");
    snprintf (endpoint, sizeof endpoint, "ipc://%s", file);
    zsock_t *rep = zsock_new (ZMQ_REP);
    int rc = heal_secure_bind (security, rep, endpoint, err, sizeof err);
    CHECKF (rc == 0, "bind %s: %s", endpoint, err);
    struct stat st;
    CHECKF (stat (dir, &st) == 0 && (st.st_mode & 0777) == 0700,
            "%s mode %o", dir, (unsigned) (st.st_mode & 0777));
    CHECKF (stat (file, &st) == 0 && (st.st_mode & 0777) == 0600,
            "%s mode %o", file, (unsigned) (st.st_mode & 0777));
    //  ... and it works.
    zsock_t *req = zsock_new (ZMQ_REQ);
    CHECKF (heal_secure_connect (NULL, req, endpoint, err, sizeof err) == 0, "%s", err);
    zstr_send (req, "hello");
    zsock_set_rcvtimeo (rep, 5000);
    char *hello = zstr_recv (rep);
    CHECKF (hello && streq (hello, "hello"), "ipc round trip");
    zstr_free (&hello);
    zsock_destroy (&req);
    zsock_destroy (&rep);

    //  A directory open to others is refused, and no socket appears there.
    s_path (dir, sizeof dir, "open");
    s_path (file, sizeof file, "open/ctl");
    CHECKF (mkdir (dir, 0755) == 0 && chmod (dir, 0755) == 0, "mkdir %s", dir);
    snprintf (endpoint, sizeof endpoint, "ipc://%s", file);
    rep = zsock_new (ZMQ_REP);
    err [0] = 0;
    rc = heal_secure_bind (security, rep, endpoint, err, sizeof err);
    CHECKF (rc == -1, "bind in a 0755 directory accepted");
    CHECKF (strstr (err, "chmod 700"), "message says how to fix: %s", err);
    CHECKF (access (file, F_OK) != 0, "socket file created anyway");
    zsock_destroy (&rep);

    //  Abstract sockets and junk are refused.
    rep = zsock_new (ZMQ_REP);
    CHECKF (heal_secure_bind (security, rep, "ipc://@heal-test", err, sizeof err) == -1,
            "abstract socket accepted");
    CHECKF (heal_secure_bind (security, rep, "bogus://x", err, sizeof err) == -1,
            "bogus endpoint accepted");
    zsock_destroy (&rep);
    heal_security_destroy (&security);
    CHECKF (security == NULL, "destroy nulls the pointer");
    heal_security_destroy (&security);
}

static void
s_test_tcp_without_keys (void)
{
    char err [CONFIG_ERROR_MAX];
    heal_config_t config;
    memset (&config, 0, sizeof config);
    heal_security_t *security = heal_security_new (&config, err, sizeof err);
    CHECKF (security, "heal_security_new: %s", err);

    //  Issue 14 #3: plain tcp on loopback lets every local user in: refused
    //  unless the config says allow_unauthenticated_tcp = true.
    zsock_t *rep = zsock_new (ZMQ_REP);
    CHECKF (heal_secure_bind (security, rep, "tcp://127.0.0.1:*", err, sizeof err) == -1
            && strstr (err, "allow_unauthenticated_tcp"),
            "plain loopback bind accepted without the opt-in");
    CHECKF (heal_secure_check (&config, "tcp://127.0.0.1:5555", true, err, sizeof err) == -1,
            "preflight accepts plain loopback without the opt-in");
    zsock_destroy (&rep);
    heal_security_destroy (&security);
    heal_config_t opted;
    memset (&opted, 0, sizeof opted);
    opted.root = zconfig_str_load ("security\n    allow_unauthenticated_tcp = true\n");
    security = heal_security_new (&opted, err, sizeof err);
    rep = zsock_new (ZMQ_REP);
    CHECKF (security && heal_secure_bind (security, rep, "tcp://127.0.0.1:*", err,
                                          sizeof err) == 0,
            "loopback refused with the opt-in: %s", err);
    zsock_destroy (&rep);
    rep = zsock_new (ZMQ_REP);
    CHECKF (heal_secure_bind (security, rep, "tcp://localhost:*", err, sizeof err) == -1,
            "a bind on a name accepted");
    CHECKF (heal_secure_bind (security, rep, "tcp://[::ffff:127.0.0.1]:*", err,
                              sizeof err) == -1, "a v4-mapped bind accepted");
    CHECKF (heal_secure_bind (security, rep, "tcp://[::1]:*", err, sizeof err) == 0,
            "[::1] refused with the opt-in: %s", err);
    zsock_destroy (&rep);
    zsock_t *loop_req = zsock_new (ZMQ_REQ);
    CHECKF (heal_secure_connect (&opted, loop_req, "tcp://127.0.0.1:5555", err,
                                 sizeof err) == 0, "loopback connect refused with the opt-in: %s",
            err);
    CHECKF (heal_secure_connect (&opted, loop_req, "tcp://localhost:5555", err,
                                 sizeof err) == 0, "connect to localhost refused: %s", err);
    zsock_destroy (&loop_req);
    zconfig_destroy (&opted.root);

    //  Refused before any bind happens: nothing listens on 0.0.0.0.
    rep = zsock_new (ZMQ_REP);
    err [0] = 0;
    CHECKF (heal_secure_bind (security, rep, "tcp://0.0.0.0:*", err, sizeof err) == -1,
            "0.0.0.0 accepted without CURVE");
    CHECKF (strstr (err, "CURVE"), "message names CURVE: %s", err);
    CHECKF (heal_secure_bind (NULL, rep, "tcp://0.0.0.0:*", err, sizeof err) == -1,
            "0.0.0.0 accepted with no security object");
    zsock_destroy (&rep);

    zsock_t *req = zsock_new (ZMQ_REQ);
    CHECKF (heal_secure_connect (&config, req, "tcp://192.0.2.77:5555", err, sizeof err)
            == -1, "non-loopback connect accepted without keys");
    CHECKF (heal_secure_connect (NULL, req, "tcp://127.0.0.1:5555", err, sizeof err) == -1,
            "plain loopback connect accepted without the opt-in");
    zsock_destroy (&req);

    //  server_cert without clients_dir would accept nobody safely: refused.
    config.curve_server_cert = (char *) "/nonexistent/server.cert";
    heal_security_t *bad = heal_security_new (&config, err, sizeof err);
    CHECKF (bad == NULL, "server_cert without clients_dir accepted");
    heal_security_destroy (&security);
}

//  This machine's first non-loopback IPv4 address, or 0 when it has none.
static int
s_local_address (char *buf, size_t len)
{
    struct ifaddrs *list = NULL;
    if (getifaddrs (&list) != 0)
        return 0;
    int found = 0;
    for (struct ifaddrs *ifa = list; ifa && !found; ifa = ifa->ifa_next) {
        if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET)
            continue;
        struct sockaddr_in *sin = (struct sockaddr_in *) (void *) ifa->ifa_addr;
        if ((ntohl (sin->sin_addr.s_addr) >> 24) == 127)
            continue;
        found = inet_ntop (AF_INET, &sin->sin_addr, buf, (socklen_t) len) != NULL;
    }
    freeifaddrs (list);
    return found;
}

//  Save a certificate as czmq does (FILE + FILE_secret), secret made 0600.
static void
s_save_cert (zcert_t *cert, const char *path)
{
    char secret [300];
    CHECKF (zcert_save (cert, path) == 0, "save %s", path);
    snprintf (secret, sizeof secret, "%s_secret", path);
    chmod (secret, 0600);
}

//  One request on a fresh REQ; true when the reply came back.
//  wait_ms bounds the wait for the request: long when it must arrive, short
//  when it must not (no event marks "the handshake was refused").
static bool
s_round_trip (zsock_t *rep, zsock_t *req, int wait_ms)
{
    zstr_send (req, "ping");
    zsock_set_rcvtimeo (rep, wait_ms);
    char *got = zstr_recv (rep);
    if (!got)
        return false;
    zstr_free (&got);
    zstr_send (rep, "pong");
    zsock_set_rcvtimeo (req, 5000);
    char *pong = zstr_recv (req);
    bool ok = pong && streq (pong, "pong");
    zstr_free (&pong);
    return ok;
}

static void
s_test_curve (void)
{
    char address [64];
    if (!s_local_address (address, sizeof address)) {
        printf ("test_security: no non-loopback IPv4 address here: CURVE part skipped\n");
        return;
    }
    char err [CONFIG_ERROR_MAX];
    char keys [256], clients [256], server_path [256], client_path [256],
         stranger_path [256], public_path [256];
    s_path (keys, sizeof keys, "keys");
    s_path (clients, sizeof clients, "keys/clients");
    s_path (server_path, sizeof server_path, "keys/server.cert");
    s_path (client_path, sizeof client_path, "keys/client.cert");
    s_path (stranger_path, sizeof stranger_path, "keys/stranger.cert");
    s_path (public_path, sizeof public_path, "keys/clients/client.cert");
    CHECKF (mkdir (keys, 0700) == 0 && mkdir (clients, 0700) == 0, "mkdir keys");

    zcert_t *server = zcert_new ();
    zcert_t *client = zcert_new ();
    zcert_t *stranger = zcert_new ();
    s_save_cert (server, server_path);
    s_save_cert (client, client_path);
    s_save_cert (stranger, stranger_path);
    CHECKF (zcert_save_public (client, public_path) == 0, "save public");

    heal_config_t server_config;
    memset (&server_config, 0, sizeof server_config);
    server_config.curve_server_cert = server_path;
    server_config.curve_clients_dir = clients;
    heal_security_t *security = heal_security_new (&server_config, err, sizeof err);
    CHECKF (security, "heal_security_new with keys: %s", err);
    if (!security)
        goto cleanup;

    char endpoint [128];
    snprintf (endpoint, sizeof endpoint, "tcp://%s:*", address);
    zsock_t *rep = zsock_new (ZMQ_REP);
    CHECKF (heal_secure_bind (security, rep, endpoint, err, sizeof err) == 0,
            "bind %s with CURVE: %s", endpoint, err);
    char *bound = zsock_last_endpoint (rep);

    //  The authorised client gets through.
    heal_config_t client_config;
    memset (&client_config, 0, sizeof client_config);
    client_config.curve_client_cert = client_path;
    client_config.curve_server_cert = server_path;   //  its public half is used
    zsock_t *req = zsock_new (ZMQ_REQ);
    zsock_set_linger (req, 0);
    CHECKF (heal_secure_connect (&client_config, req, bound, err, sizeof err) == 0,
            "client connect: %s", err);
    CHECKF (s_round_trip (rep, req, 5000), "authorised CURVE client got no reply");
    zsock_destroy (&req);

    //  A key not in clients_dir does not.
    client_config.curve_client_cert = stranger_path;
    req = zsock_new (ZMQ_REQ);
    zsock_set_linger (req, 0);
    CHECKF (heal_secure_connect (&client_config, req, bound, err, sizeof err) == 0,
            "stranger connect: %s", err);
    CHECKF (!s_round_trip (rep, req, 500), "unknown CURVE key was answered");
    zsock_destroy (&req);

    //  Nor does a plain client that skips heal_secure_connect.
    req = zsock_new (ZMQ_REQ);
    zsock_set_linger (req, 0);
    zsock_connect (req, "%s", bound);
    CHECKF (!s_round_trip (rep, req, 500), "plain client was answered");
    zsock_destroy (&req);

    //  A client without its own certificate is refused locally.
    client_config.curve_client_cert = NULL;
    req = zsock_new (ZMQ_REQ);
    CHECKF (heal_secure_connect (&client_config, req, bound, err, sizeof err) == -1,
            "connect without client_cert accepted");
    zsock_destroy (&req);

    //  A secret key readable by others is refused.
    char secret [300];
    snprintf (secret, sizeof secret, "%s_secret", server_path);
    chmod (secret, 0644);
    heal_security_t *loose = heal_security_new (&server_config, err, sizeof err);
    CHECKF (loose == NULL, "0644 secret key accepted");
    CHECKF (strstr (err, "chmod 600"), "message says how to fix: %s", err);

    zstr_free (&bound);
    zsock_destroy (&rep);
    heal_security_destroy (&security);
cleanup:
    zcert_destroy (&server);
    zcert_destroy (&client);
    zcert_destroy (&stranger);
}

int
main (void)
{
    snprintf (s_base, sizeof s_base, "/tmp/heal-sec-XXXXXX");
    if (!mkdtemp (s_base)) {
        perror ("mkdtemp");
        return 1;
    }
    s_test_ipc ();
    s_test_tcp_without_keys ();
    s_test_curve ();
    s_cleanup ();
    if (s_failed) {
        fprintf (stderr, "test_security: %d failures\n", s_failed);
        return 1;
    }
    printf ("test_security: ok\n");
    return 0;
}
