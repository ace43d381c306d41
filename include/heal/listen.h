//  listen — an HTTP listen address, "IP:PORT" (heal-exporter's `listen`).
//
//  The host is a numeric address, IPv4 ("127.0.0.1:9877") or IPv6 in brackets
//  ("[::1]:9877"); no names are resolved. Port 1-65535. Parsed here so that
//  the config (every binary's -n) and heal-exporter read it the same way.

#ifndef HEAL_LISTEN_H_INCLUDED
#define HEAL_LISTEN_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define HEAL_LISTEN_MAX  64         //  text of a listen address, bytes

typedef struct {
    struct sockaddr_storage addr;   //  sockaddr_in or sockaddr_in6, port set
    socklen_t len;
    int family;                     //  AF_INET or AF_INET6
    int port;
    bool loopback;                  //  127.0.0.0/8 or ::1
} heal_listen_t;

//  Parse text into *out. Returns 0, or -1 with err saying what is wrong.
int heal_listen_parse (const char *text, heal_listen_t *out, char *err, size_t errlen);

#endif
