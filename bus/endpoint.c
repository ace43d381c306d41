//  endpoint — ZeroMQ endpoints and URLs: is it well formed, is it local
//  (include/heal/endpoint.h).

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <curl/curl.h>
#include "heal/endpoint.h"

//  Write a formatted message into err when err is given.
static void
s_err (char *err, size_t errlen, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_err (char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list args;
    va_start (args, fmt);
    vsnprintf (err, errlen, fmt, args);
    va_end (args);
}

//  Is port a decimal number 1-65535 (digits only)?
static bool
s_port_valid (const char *port)
{
    uint32_t n = 0;
    if (!*port)
        return false;
    for (const char *p = port; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        n = n * 10 + (uint32_t) (*p - '0');
        if (n > 65535)
            return false;
    }
    return n > 0;
}

//  Is host (no brackets) a syntactically valid host name or interface name?
static bool
s_hostname_valid (const char *host, size_t len)
{
    if (len == 0 || len > 253)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) host [i];
        if (!(isalnum (c) || c == '-' || c == '.' || c == '_'))
            return false;
    }
    return host [0] != '-' && host [0] != '.';
}

//  Split "host:port" of a tcp endpoint. host excludes [] for IPv6.
//  Returns 0 or -1 with err set.
static int
s_tcp_split (const char *address, char *host, size_t hostlen, char *port,
             size_t portlen, bool *ipv6, char *err, size_t errlen)
{
    const char *colon = strrchr (address, ':');
    if (!colon) {
        s_err (err, errlen, "tcp endpoint needs host:port");
        return -1;
    }
    const char *h = address;
    size_t hlen = (size_t) (colon - address);
    *ipv6 = false;
    if (hlen >= 2 && h [0] == '[' && h [hlen - 1] == ']') {
        h++;
        hlen -= 2;
        *ipv6 = true;
    }
    if (hlen == 0 || hlen >= hostlen) {
        s_err (err, errlen, "tcp endpoint has an empty or too long host");
        return -1;
    }
    memcpy (host, h, hlen);
    host [hlen] = 0;
    size_t plen = strlen (colon + 1);
    if (plen == 0 || plen >= portlen) {
        s_err (err, errlen, "tcp endpoint has an empty or too long port");
        return -1;
    }
    memcpy (port, colon + 1, plen + 1);
    return 0;
}

bool
heal_endpoint_valid (const char *endpoint, char *err, size_t errlen)
{
    if (!endpoint || !*endpoint) {
        s_err (err, errlen, "empty endpoint");
        return false;
    }
    if (strncmp (endpoint, "ipc://", 6) == 0) {
        const char *path = endpoint + 6;
        struct sockaddr_un sun;
        if (path [0] != '/') {
            s_err (err, errlen, "ipc path must be absolute (ipc:///dir/name)");
            return false;
        }
        if (strlen (path) >= sizeof sun.sun_path) {
            s_err (err, errlen, "ipc path longer than %zu bytes",
                   sizeof sun.sun_path - 1);
            return false;
        }
        for (const char *p = path; *p; p++)
            if ((unsigned char) *p < 0x20 || *p == 0x7f) {
                s_err (err, errlen, "ipc path has control characters");
                return false;
            }
        return true;
    }
    if (strncmp (endpoint, "inproc://", 9) == 0) {
        size_t len = strlen (endpoint + 9);
        if (len == 0 || len > 256) {
            s_err (err, errlen, "inproc name must be 1 to 256 bytes");
            return false;
        }
        return true;
    }
    if (strncmp (endpoint, "tcp://", 6) == 0) {
        char host [256], port [16];
        bool ipv6;
        if (s_tcp_split (endpoint + 6, host, sizeof host, port, sizeof port, &ipv6,
                         err, errlen))
            return false;
        if (ipv6) {
            struct in6_addr a6;
            if (inet_pton (AF_INET6, host, &a6) != 1) {
                s_err (err, errlen, "'%s' is not an IPv6 address", host);
                return false;
            }
        }
        else
        if (strcmp (host, "*") != 0 && !s_hostname_valid (host, strlen (host))) {
            s_err (err, errlen, "'%s' is not a valid host", host);
            return false;
        }
        if (strcmp (port, "*") != 0) {
            if (!s_port_valid (port)) {
                s_err (err, errlen, "port '%s' is not 1-65535 or *", port);
                return false;
            }
        }
        return true;
    }
    s_err (err, errlen, "endpoint must start with ipc://, tcp:// or inproc://");
    return false;
}

//  Is host (no brackets) a loopback name or address?
static bool
s_host_is_loopback (const char *host)
{
    if (strcasecmp (host, "localhost") == 0)
        return true;
    struct in_addr a4;
    if (inet_pton (AF_INET, host, &a4) == 1)
        return (ntohl (a4.s_addr) >> 24) == 127;
    struct in6_addr a6;
    if (inet_pton (AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK (&a6);
    return false;
}

bool
heal_endpoint_is_local (const char *endpoint)
{
    if (!heal_endpoint_valid (endpoint, NULL, 0))
        return false;
    if (strncmp (endpoint, "ipc://", 6) == 0 || strncmp (endpoint, "inproc://", 9) == 0)
        return true;
    char host [256], port [16];
    bool ipv6;
    if (s_tcp_split (endpoint + 6, host, sizeof host, port, sizeof port, &ipv6,
                     NULL, 0))
        return false;
    return s_host_is_loopback (host);
}

bool
heal_url_is_loopback (const char *url)
{
    if (!url)
        return false;
    CURLU *h = curl_url ();
    if (!h)
        return false;
    bool loopback = false;
    char *host = NULL;
    if (curl_url_set (h, CURLUPART_URL, url, 0) == CURLUE_OK
    &&  curl_url_get (h, CURLUPART_HOST, &host, 0) == CURLUE_OK && host) {
        size_t len = strlen (host);
        if (len >= 2 && host [0] == '[' && host [len - 1] == ']') {
            host [len - 1] = 0;
            //  drop an IPv6 zone id if any
            char *zone = strchr (host + 1, '%');
            if (zone)
                *zone = 0;
            loopback = s_host_is_loopback (host + 1);
        }
        else
            loopback = s_host_is_loopback (host);
    }
    curl_free (host);
    curl_url_cleanup (h);
    return loopback;
}
