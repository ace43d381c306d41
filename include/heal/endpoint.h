//  endpoint — ZeroMQ endpoints and URLs: well formed? local? bus/endpoint.c.

#ifndef HEAL_ENDPOINT_H_INCLUDED
#define HEAL_ENDPOINT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

//  Is text a ZeroMQ endpoint we accept (ipc://path, tcp://host:port,
//  tcp://host:*, inproc://name)? On false, err says why.
bool heal_endpoint_valid (const char *endpoint, char *err, size_t errlen);

//  Is the endpoint on this machine only (ipc, inproc, tcp on 127.0.0.0/8, ::1,
//  localhost)?
bool heal_endpoint_is_local (const char *endpoint);

//  Is this http(s) URL's host a loopback address (127.0.0.0/8, ::1, localhost)?
bool heal_url_is_loopback (const char *url);

#endif
