//  listen — parse an HTTP listen address "IP:PORT" (include/heal/listen.h).

#include "heal/listen.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

int
heal_listen_parse (const char *text, heal_listen_t *out, char *err, size_t errlen)
{
    memset (out, 0, sizeof *out);
    size_t len = text? strlen (text): 0;
    if (len == 0 || len >= HEAL_LISTEN_MAX) {
        snprintf (err, errlen, "expected IP:PORT, e.g. 127.0.0.1:9877 or [::1]:9877");
        return -1;
    }
    const char *colon = strrchr (text, ':');
    if (!colon || colon == text) {
        snprintf (err, errlen, "'%s': expected IP:PORT, e.g. 127.0.0.1:9877", text);
        return -1;
    }
    char host [HEAL_LISTEN_MAX];
    size_t hlen = (size_t) (colon - text);
    const char *h = text;
    bool bracketed = hlen >= 2 && h [0] == '[' && h [hlen - 1] == ']';
    if (bracketed) {
        h++;
        hlen -= 2;
    }
    memcpy (host, h, hlen);
    host [hlen] = 0;
    const char *port = colon + 1;
    size_t digits = strspn (port, "0123456789");
    long value = 0;
    for (size_t i = 0; i < digits && i < 6; i++)
        value = value * 10 + (port [i] - '0');
    if (digits == 0 || digits > 5 || port [digits] != 0 || value < 1 || value > 65535) {
        snprintf (err, errlen, "'%s': the port must be 1 to 65535", text);
        return -1;
    }
    out->port = (int) value;
    if (bracketed) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *) &out->addr;
        if (inet_pton (AF_INET6, host, &a->sin6_addr) != 1) {
            snprintf (err, errlen, "'%s': not an IPv6 address", text);
            return -1;
        }
        a->sin6_family = AF_INET6;
        a->sin6_port = htons ((uint16_t) value);
        out->len = sizeof *a;
        out->family = AF_INET6;
        out->loopback = IN6_IS_ADDR_LOOPBACK (&a->sin6_addr);
    }
    else {
        struct sockaddr_in *a = (struct sockaddr_in *) &out->addr;
        if (inet_pton (AF_INET, host, &a->sin_addr) != 1) {
            snprintf (err, errlen, "'%s': not an IPv4 address (IPv6 goes in brackets: "
                      "[::1]:9877; names are not resolved)", text);
            return -1;
        }
        a->sin_family = AF_INET;
        a->sin_port = htons ((uint16_t) value);
        out->len = sizeof *a;
        out->family = AF_INET;
        out->loopback = (ntohl (a->sin_addr.s_addr) >> 24) == 127;
    }
    return 0;
}
